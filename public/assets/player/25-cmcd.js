// Common Media Client Data (CTA-5004, query-argument mode): what the player tells the server about
// each media request, so a web server's or CDN's log says where the viewer was even when beacons
// are blocked. Keys in alphabetical order; strings quoted, tokens (ot, sta) not; a true flag is
// its key alone.
// A viewer whose browser sends Global Privacy Control gets no per-view id (and no beacons).
var GPC = navigator.globalPrivacyControl === true;
function cmcdQuery(data) {
  var parts = Object.keys(data).sort().filter(k => data[k] !== undefined && data[k] !== false && data[k] !== null).map(k => {
    var v = data[k];
    if (v === true) return k;
    if (typeof v !== "string" || k === "ot" || k === "sta") return k + "=" + v;
    return k + '="' + v.replace(/["\\]/g, "\\$&") + '"';
  });
  return "CMCD=" + encodeURIComponent(parts.join(","));
}
function withCMCD(url, data) { return url + (url.indexOf("?") < 0 ? "?" : "&") + cmcdQuery(data); }
// What every request of one page view's player shares: the view's id (the beacons' too) and the video.
function CMCD(sid, cid) {
  return {
    sid: GPC ? undefined : sid,
    cid: cid || undefined,
    // sta (CMCD v2): s starting, p playing, k seeking, r rebuffering, a paused, e ended.
    state(video, starving) {
      return video.ended ? "e" : video.seeking ? "k" : starving ? "r" : video.paused ? (video.played.length ? "a" : "s") : "p";
    }
  };
}

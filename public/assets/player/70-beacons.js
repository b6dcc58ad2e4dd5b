// Playhead beacons, GET BEACON?v=&p=page-view&e=event&t=position&r=rate&h=height&s=seq(&f=from):
// play, pause, seek, rate, ended, tick (10 s), hide; from the media element's own events.
function beacons(video, url, slug, pv) {
  var seq = 0, started = false, playing = false, last = 0, known = 0, from = null;
  function send(e, extra, pos) {
    if (!started) return;
    var q = "v=" + encodeURIComponent(slug) + "&p=" + pv + "&e=" + e + "&t=" + (pos === undefined ? video.currentTime || 0 : pos).toFixed(2) +
      "&r=" + (video.playbackRate || 1) + "&h=" + (video.videoHeight || 0) + "&s=" + (seq++) + (extra || "");
    last = performance.now();
    try {
      // A closing page may cancel a fetch, not a sendBeacon (a POST; logged all the same).
      if (e === "hide" && navigator.sendBeacon && navigator.sendBeacon(url + "?" + q)) return;
      fetch(url + "?" + q, { keepalive: true, cache: "no-store", credentials: "same-origin" }).catch(() => {});
    } catch (x) {}
  }
  on(video, "play", () => { started = true; playing = true; send("play"); });
  on(video, "pause", () => { playing = false; if (!video.ended) send("pause"); });
  on(video, "ended", () => { playing = false; send("ended"); });
  on(video, "ratechange", () => send("rate"));
  on(video, "seeking", () => { if (from === null) from = known; });
  on(video, "seeked", () => {
    send("seek", "&f=" + (from === null ? known : from).toFixed(2));
    from = null;
    known = video.currentTime;
  });
  on(video, "timeupdate", () => {
    if (!video.seeking) known = video.currentTime;
    if (!video.paused) playing = true;
    if (started && !video.paused && !video.seeking && from === null && performance.now() - last >= 10000) send("tick");
  });
  // While unloading, the element may already read as paused: the last state seen decides.
  function hide() { if (playing) send("hide", "", Math.max(video.currentTime || 0, known || 0)); }
  on(d, "visibilitychange", () => { if (d.visibilityState === "hidden") hide(); });
  on(window, "pagehide", hide);
}

// Playlists: vlog writes them, so only what it writes is read.
function attrs(s) {
  var o = {}, re = /([A-Z0-9-]+)=("[^"]*"|[^,]*)/g, m;
  while ((m = re.exec(s))) o[m[1]] = m[2].replace(/^"|"$/g, "");
  return o;
}
function master(text, base) {
  var lines = text.split(/\r?\n/), out = [];
  for (var i = 0; i < lines.length; i++) {
    if (lines[i].indexOf("#EXT-X-STREAM-INF:") !== 0) continue;
    var a = attrs(lines[i].slice(18)), res = (a.RESOLUTION || "0x0").split("x");
    out.push({ bw: +a.BANDWIDTH || 0, w: +res[0], h: +res[1], codecs: a.CODECS || "avc1.64001f,mp4a.40.2",
      fps: +a["FRAME-RATE"] || 30, name: a.NAME || res[1] + "p", url: new URL(lines[i + 1], base).href });
  }
  return out.sort((x, y) => x.bw - y.bw);
}
function media(text, base) {
  var pl = { init: null, segs: [], dur: 0 }, lines = text.split(/\r?\n/), len = 0;
  lines.forEach(l => {
    if (l.indexOf("#EXT-X-MAP:") === 0) pl.init = new URL(attrs(l.slice(11)).URI, base).href;
    else if (l.indexOf("#EXTINF:") === 0) len = parseFloat(l.slice(8));
    else if (l && l[0] !== "#") { pl.segs.push({ start: pl.dur, dur: len, url: new URL(l, base).href }); pl.dur += len; }
  });
  return pl;
}
// A rendition that is not CMAF (MPEG-TS): MSE cannot play it; native HLS may.
class NotCMAF extends Error {}
function load(url, type, onProgress) {
  var x = new XMLHttpRequest(), p = new Promise((ok, fail) => {
    x.open("GET", url);
    x.responseType = type;
    x.onload = () => {
      if (x.status >= 200 && x.status < 300) return ok(x.response);
      var e = new Error(url + ": HTTP " + x.status);
      e.status = x.status;
      fail(e);
    };
    x.onerror = () => fail(new Error(url + ": failed"));
    x.onabort = () => { var e = new Error(url + ": aborted"); e.aborted = true; fail(e); };
    if (onProgress) x.onprogress = onProgress;
    x.send();
  });
  p.xhr = x;
  return p;
}

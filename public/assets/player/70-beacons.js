// Playhead beacons, GET BEACON?v=&p=page-view&e=event&t=position&r=rate&h=height&s=seq(&f=from):
// play, pause, seek, rate, ended, tick (10 s), hide, error (&c=code); from the media element's own
// events. Once the picture started: &su=startup ms&rb=stalls&rt=stall ms (a stall: waiting while
// playing, not seeking).
function beacons(video, url, slug, pv) {
  var seq = 0, started = false, playing = false, last = 0, known = 0, from = null;
  var pressed = 0, su = -1, rb = 0, rt = 0, stall = 0;
  on(video, "playing", () => {
    if (su < 0 && pressed) su = Math.round(performance.now() - pressed);
    if (stall) { rt += performance.now() - stall; stall = 0; }
  });
  on(video, "waiting", () => { if (su >= 0 && !video.seeking && !stall) { rb++; stall = performance.now(); } });
  function send(e, extra, pos) {
    if (!started) return;
    var q = "v=" + encodeURIComponent(slug) + "&p=" + pv + "&e=" + e + "&t=" + (pos === undefined ? video.currentTime || 0 : pos).toFixed(2) +
      "&r=" + (video.playbackRate || 1) + "&h=" + (video.videoHeight || 0) + "&s=" + (seq++) + (extra || "") +
      (su >= 0 ? "&su=" + su + "&rb=" + rb + "&rt=" + Math.round(rt + (stall ? performance.now() - stall : 0)) : "");
    last = performance.now();
    try {
      // A closing page may cancel a fetch, not a sendBeacon (a POST; logged all the same).
      if (e === "hide" && navigator.sendBeacon && navigator.sendBeacon(url + "?" + q)) return;
      fetch(url + "?" + q, { keepalive: true, cache: "no-store", credentials: "same-origin" }).catch(() => {});
    } catch (x) {}
  }
  on(video, "play", () => { if (!pressed) pressed = performance.now(); started = true; playing = true; send("play"); });
  on(video, "error", () => { started = true; send("error", "&c=" + (video.error ? video.error.code : 0)); });
  on(video, "vlogerror", () => { started = true; send("error", "&c=load"); });
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

// vlog player: native HLS where the browser has it (Safari, current Chromium); hls.js only where
// it is missing and Media Source Extensions exist (if the site names an hls.js URL); otherwise a
// clear message. Sets the first-party `vlog_viewer` cookie the web server logs for analytics, only
// where the site chose that identity (the default sets no cookie).
// Where the page names a beacon URL, it reports what the viewer plays with small GET requests the
// web server logs (see `beacons` below); nothing is sent before the first play.
(function () {
  "use strict";
  function viewerCookie() {
    if (/(?:^|;\s*)vlog_viewer=/.test(document.cookie)) return;
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    var id = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    document.cookie = "vlog_viewer=" + id + "; Max-Age=31536000; Path=/; SameSite=Lax" +
      (location.protocol === "https:" ? "; Secure" : "");
  }
  function message(box, text) {
    var p = box.querySelector(".player-msg");
    if (p) { p.textContent = text; p.hidden = false; }
  }
  function loadScript(src, done, fail) {
    var s = document.createElement("script");
    s.src = src; s.async = true; s.onload = done; s.onerror = fail;
    document.head.appendChild(s);
  }
  // Playhead beacons: GET BEACON?v=video&p=page-view&e=event&t=position&r=rate&h=height&s=seq
  // (&f=from for seeks). Events: play, pause, seek, rate, ended, tick (every 10 s while playing),
  // hide (page hidden or closed). They follow the media element, however playback was started.
  function beacons(video, url, slug) {
    var bytes = new Uint8Array(8);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    var pv = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    var seq = 0, started = false, playing = false, last = 0, known = 0, from = null;
    function now() { return (window.performance && performance.now) ? performance.now() : Date.now(); }
    function send(e, extra, pos) {
      if (!started) return;
      var q = "v=" + encodeURIComponent(slug) + "&p=" + pv + "&e=" + e + "&t=" + (pos === undefined ? video.currentTime || 0 : pos).toFixed(2) +
        "&r=" + (video.playbackRate || 1) + "&h=" + (video.videoHeight || 0) + "&s=" + (seq++) + (extra || "");
      last = now();
      try {
        // A page being closed may cancel a fetch: sendBeacon is made for that moment (it POSTs; the
        // web server logs the request line all the same).
        if (e === "hide" && navigator.sendBeacon && navigator.sendBeacon(url + "?" + q)) return;
        if (window.fetch) fetch(url + "?" + q, { keepalive: true, cache: "no-store", credentials: "same-origin" }).catch(function () {});
        else { var i = new Image(); i.src = url + "?" + q; }
      } catch (x) {}
    }
    video.addEventListener("play", function () { started = true; playing = true; send("play"); });
    video.addEventListener("pause", function () { playing = false; if (!video.ended) send("pause"); });
    video.addEventListener("ended", function () { playing = false; send("ended"); });
    video.addEventListener("ratechange", function () { send("rate"); });
    video.addEventListener("seeking", function () { if (from === null) from = known; });
    video.addEventListener("seeked", function () {
      send("seek", "&f=" + (from === null ? known : from).toFixed(2));
      from = null;
      known = video.currentTime;
    });
    video.addEventListener("timeupdate", function () {
      if (!video.seeking) known = video.currentTime;
      if (!video.paused) playing = true;
      if (started && !video.paused && !video.seeking && from === null && now() - last >= 10000) send("tick");
    });
    // While unloading, the element may already read as paused: the last state seen decides.
    function hide() { if (playing) send("hide", "", Math.max(video.currentTime || 0, known || 0)); }
    document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") hide(); });
    window.addEventListener("pagehide", hide);
  }
  function setup(box) {
    var video = box.querySelector("video");
    var src = box.getAttribute("data-src");
    if (!video || !src) return;
    var native = video.canPlayType("application/vnd.apple.mpegurl") || video.canPlayType("application/x-mpegURL");
    if (native) {
      video.src = src;
    } else if (box.getAttribute("data-hlsjs") && (window.MediaSource || window.ManagedMediaSource)) {
      loadScript(box.getAttribute("data-hlsjs"), function () {
        if (!window.Hls || !window.Hls.isSupported()) { message(box, "This browser cannot play HLS video."); return; }
        var hls = new window.Hls({ capLevelToPlayerSize: true });
        hls.loadSource(src);
        hls.attachMedia(video);
      }, function () { message(box, "The video player could not be loaded. Please try again later."); });
    } else {
      message(box, "This browser cannot play HLS streams. Try Safari, a current Chrome/Chromium, or open the stream in VLC.");
      return;
    }
    if (box.getAttribute("data-beacon")) beacons(video, box.getAttribute("data-beacon"), box.getAttribute("data-video") || "");
    video.addEventListener("error", function () {
      message(box, "The video could not be played (" + (video.error ? "error " + video.error.code : "unknown error") + ").");
    });
    if (box.hasAttribute("data-autoplay") || /[?&]autoplay=1/.test(location.search)) {
      video.muted = true;
      var p = video.play();
      if (p && p.catch) p.catch(function () {});
    }
  }
  function init() {
    // Only where the site chose the cookie identity (analytics.viewer_id = "cookie").
    if (document.querySelector("[data-vlog-player][data-cookie]")) viewerCookie();
    var boxes = document.querySelectorAll("[data-vlog-player]");
    for (var i = 0; i < boxes.length; i++) setup(boxes[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();

// vlog player: native HLS where the browser has it (Safari, current Chromium); hls.js only where
// it is missing and Media Source Extensions exist (if the site names an hls.js URL); otherwise a
// clear message. Sets the first-party `vlog_viewer` cookie the web server logs for analytics.
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
    viewerCookie();
    var boxes = document.querySelectorAll("[data-vlog-player]");
    for (var i = 0; i < boxes.length; i++) setup(boxes[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();

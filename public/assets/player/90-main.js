// One player per `[data-vlog-player]` box: MSE where it plays, native HLS otherwise.
function setup(box) {
  var video = box.querySelector("video"), src = box.getAttribute("data-src");
  if (!video || !src) return;
  src = new URL(src, location.href).href;
  var mse = (window.MediaSource || window.ManagedMediaSource) && !box.hasAttribute("data-native");
  var native = video.canPlayType("application/vnd.apple.mpegurl");
  // One id per page view, in the beacons and in every media request's CMCD.
  var view = hex(8), slug = box.getAttribute("data-video") || "";
  if (box.getAttribute("data-beacon") && !GPC) beacons(video, box.getAttribute("data-beacon"), slug, view);
  if (!mse && !native) {
    msg(box, "This browser cannot play this video. Try a current Firefox, Chrome, Edge or Safari, or open the stream in VLC.");
    return;
  }
  video.querySelectorAll("source").forEach(s => s.remove());
  var ui = controls(box, video), at = startTime(), engine = null;
  function nativePlay() {
    if (!native) { msg(box, "This browser cannot play this video's format."); return; }
    engine = null;
    ui.levels();
    video.src = src;
    if (at) on(video, "loadedmetadata", () => video.currentTime = at, { once: true });
    video.play().catch(() => {});
  }
  if (mse) {
    engine = new Engine(video, src, ui, CMCD(view, slug));
    engine.fallback = () => { video.removeAttribute("src"); nativePlay(); };
    engine.failed = () => {
      msg(box, "The video could not be played: part of it did not load. Try again later.");
      video.dispatchEvent(new Event("vlogerror"));
    };
    on(video, "play", () => { if (engine) engine.start(at); }, { once: true });
  } else {
    video.src = src;
    if (at) on(video, "loadedmetadata", () => video.currentTime = at, { once: true });
  }
  ui.engine = () => engine;
  on(window, "hashchange", () => { var t = startTime(); if (t) { at = t; if (video.readyState) video.currentTime = t; } });
  attr(box, "data-mode", mse ? "mse" : "native");
  on(video, "error", () => {
    if (engine) return;
    msg(box, "The video could not be played (" + (video.error ? "error " + video.error.code : "unknown error") + ").");
  });
  if (box.hasAttribute("data-autoplay") || /[?&]autoplay=1/.test(location.search)) {
    video.muted = true;
    video.play().catch(() => {});
  }
}
function msg(box, text) {
  var p = box.querySelector(".player-msg");
  if (p) { p.textContent = text; p.hidden = false; }
}
function init() {
  if (d.querySelector("[data-vlog-player][data-cookie]") && !/(?:^|;\s*)vlog_viewer=/.test(d.cookie)) {
    d.cookie = "vlog_viewer=" + hex(16) + "; Max-Age=31536000; Path=/; SameSite=Lax" + (location.protocol === "https:" ? "; Secure" : "");
  }
  d.querySelectorAll("[data-vlog-player]").forEach(setup);
}
if (d.readyState === "loading") on(d, "DOMContentLoaded", init); else init();

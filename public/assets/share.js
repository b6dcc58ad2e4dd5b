// The video page's share box: the link at the current time (`?t=`), copy buttons.
(function () {
"use strict";
var d = document;
// The share box's "at the current time" link.
function share(video) {
  var box = d.querySelector("[data-share]");
  if (!box) return;
  var at = box.querySelector("[data-share-at]"), link = box.querySelector("[data-share-time]");
  function update() {
    var base = link.getAttribute("data-base"), t = Math.floor(video.currentTime || 0);
    link.value = at.checked && t ? base + "?t=" + t : base;
  }
  at.addEventListener("change", update);
  video.addEventListener("pause", update);
  box.addEventListener("toggle", update);
  Array.prototype.forEach.call(box.querySelectorAll("[data-copy]"), (b) => {
    b.addEventListener("click", () => {
      var f = d.getElementById(b.getAttribute("data-copy"));
      f.select();
      if (navigator.clipboard) navigator.clipboard.writeText(f.value).catch(() => {});
      b.textContent = "Copied";
      setTimeout(() => { b.textContent = "Copy"; }, 1500);
    });
  });
}

// A transcript line's time seeks the player there.
function seekLinks(video) {
  d.querySelectorAll("[data-seek]").forEach(a => a.addEventListener("click", e => {
    e.preventDefault();
    video.currentTime = +a.getAttribute("data-seek");
    video.play().catch(() => {});
  }));
}
d.addEventListener("DOMContentLoaded", () => { var v = d.querySelector("video"); if (v) { share(v); seekLinks(v); } });
})();

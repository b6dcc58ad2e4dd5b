// Controls: named buttons, keyboard menus, announcements, YouTube's keys, double-tap to skip.
function controls(box, video) {
  var ui = {};
  // Icons: filled shapes (f) and strokes (s), drawn on a 24 px grid.
  var icons = {
    play: { f: "M7 4l13 8-13 8z" }, pause: { f: "M6 4h4v16H6zM14 4h4v16h-4z" },
    vol: { f: "M3 9h4l5-4v14l-5-4H3z", s: "M15.5 9c1.3 1.5 1.3 4.5 0 6M18 6.5c2.7 3 2.7 8 0 11" },
    muted: { f: "M3 9h4l5-4v14l-5-4H3z", s: "M15 9l6 6M21 9l-6 6" },
    fs: { s: "M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5" }, unfs: { s: "M9 4v5H4M20 9h-5V4M15 20v-5h5M4 15h5v5" },
    pip: { s: "M3 5h18v14H3z", f: "M12 12h7v5h-7z" }
  };
  function icon(b, name) {
    var i = icons[name], svg = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">';
    if (i.f) svg += '<path fill="currentColor" d="' + i.f + '"/>';
    if (i.s) svg += '<path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="' + i.s + '"/>';
    b.innerHTML = svg + "</svg>";
  }
  function button(parent, label, name, cls) {
    var b = el("button", "vp-btn" + (cls ? " " + cls : ""), parent);
    b.type = "button";
    attr(b, "aria-label", label);
    b.title = label;
    if (name) icon(b, name);
    return b;
  }

  video.controls = false;
  box.classList.add("vp");
  var live = el("div", "visually-hidden", box);
  attr(live, "aria-live", "polite");
  function say(text) { live.textContent = text; osd.textContent = text; osd.classList.add("on"); clearTimeout(osd.t); osd.t = setTimeout(() => osd.classList.remove("on"), 900); }
  var osd = el("div", "vp-osd", box);
  attr(osd, "aria-hidden", "true");
  var big = button(box, "Play", "play", "vp-big");
  var bar = el("div", "vp-bar", box);
  var seek = el("input", "vp-seek", bar);
  seek.type = "range"; seek.min = 0; seek.max = 1000; seek.step = 1; seek.value = 0;
  attr(seek, "aria-label", "Seek");
  var marks = el("div", "vp-marks", bar);
  attr(marks, "aria-hidden", "true");
  var preview = el("div", "vp-preview", bar), thumb = el("div", "vp-thumb", preview), pchap = el("span", "vp-pchap", preview), ptime = el("span", "", preview);
  attr(preview, "aria-hidden", "true");
  var row = el("div", "vp-row", bar);
  var playB = button(row, "Play (k)", "play"), muteB = button(row, "Mute (m)", "vol");
  var vol = el("input", "vp-vol", row);
  vol.type = "range"; vol.min = 0; vol.max = 1; vol.step = 0.05;
  attr(vol, "aria-label", "Volume");
  var time = el("span", "vp-time", row, "0:00 / 0:00");
  el("span", "vp-fill", row);
  var chB = el("button", "vp-btn vp-txt vp-ch", row, "Chapters");
  var auB = el("button", "vp-btn vp-txt vp-au", row, "Audio");
  var ccB = el("button", "vp-btn vp-txt vp-cc", row, "CC"), speedB = el("button", "vp-btn vp-txt vp-speed", row, "1x");
  var qB = el("button", "vp-btn vp-txt vp-q", row, "Auto");
  var pipB = d.pictureInPictureEnabled ? button(row, "Picture in picture", "pip") : null;
  var fsB = button(row, "Full screen (f)", "fs");

  function toggle() { if (video.paused || video.ended) video.play().catch(() => {}); else video.pause(); }
  function skip(s) { video.currentTime = Math.max(0, Math.min((video.duration || 0) - 0.1, video.currentTime + s)); say((s > 0 ? "+" : "") + s + " s"); }
  function volume(v) { var o = out(); o.muted = false; o.volume = Math.max(0, Math.min(1, v)); say("Volume " + Math.round(o.volume * 100) + "%"); }
  function rate(r) { video.playbackRate = Math.max(0.25, Math.min(2, r)); }
  function fullscreen() {
    if (d.fullscreenElement) d.exitFullscreen();
    else if (box.requestFullscreen) box.requestFullscreen().catch(() => {});
    else if (video.webkitEnterFullscreen) video.webkitEnterFullscreen();
  }
  [big, playB].forEach(b => on(b, "click", toggle));
  on(video, "click", toggle);
  on(video, "dblclick", fullscreen);
  on(muteB, "click", () => { var o = out(); o.muted = !o.muted; });
  on(vol, "input", () => volume(+vol.value));
  on(fsB, "click", fullscreen);
  if (pipB) on(pipB, "click", () => {
    (d.pictureInPictureElement ? d.exitPictureInPicture() : video.requestPictureInPicture()).catch(() => {});
  });

  // State shown and announced.
  function paint() {
    var p = video.paused || video.ended, label = p ? "Play (k)" : "Pause (k)";
    icon(playB, p ? "play" : "pause");
    attr(playB, "aria-label", label); playB.title = label;
    var o = out(), m = o.muted || o.volume === 0;
    icon(muteB, m ? "muted" : "vol");
    attr(muteB, "aria-label", m ? "Unmute (m)" : "Mute (m)");
    vol.value = o.muted ? 0 : o.volume;
    speedB.textContent = video.playbackRate + "x";
    attr(speedB, "aria-label", "Speed " + video.playbackRate + "x");
    var fs = !!d.fullscreenElement;
    icon(fsB, fs ? "unfs" : "fs");
    attr(fsB, "aria-label", fs ? "Exit full screen (f)" : "Full screen (f)");
  }
  function tick() {
    var dur = video.duration || 0;
    if (!seek.dragging) seek.value = dur ? Math.round(video.currentTime / dur * 1000) : 0;
    attr(seek, "aria-valuetext", clock(video.currentTime) + " of " + clock(dur));
    var ch = chapterAt(video.currentTime);
    time.textContent = clock(video.currentTime) + " / " + clock(dur) + (ch ? " · " + ch[1] : "");
    if (ch) attr(box, "data-chapter", ch[1]);
    var e = ui.engine && ui.engine(), l = e && e.playing();
    if (l) { qB.textContent = e.auto ? "Auto (" + l.name + ")" : l.name; attr(qB, "aria-label", "Quality " + qB.textContent + (/^av01/.test(l.codecs) ? ", AV1" : "")); attr(box, "data-rung", l.name); }
  }
  ["play", "pause", "volumechange", "ratechange", "ended"].forEach(e => on(video, e, paint));
  ["timeupdate", "durationchange", "seeked"].forEach(e => on(video, e, tick));
  on(d, "fullscreenchange", paint);
  on(video, "play", () => { say("Playing"); box.classList.add("vp-started"); });
  on(video, "pause", () => { if (!video.ended) say("Paused"); });
  on(video, "volumechange", () => { if (!alt) { put("volume", video.volume); put("muted", video.muted ? 1 : 0); } });
  on(video, "ratechange", () => say("Speed " + video.playbackRate + "x"));
  on(video, "waiting", () => box.classList.add("vp-wait"));
  on(video, "playing", () => box.classList.remove("vp-wait"));
  if (get("volume") !== null && !box.hasAttribute("data-autoplay")) { video.volume = +get("volume"); video.muted = get("muted") === "1"; }

  // Audio tracks ([{label, lang, src, ad}], the video's own first, from the page): another track
  // plays in an <audio> element kept in step with the video (same time, rate, pauses), which is
  // muted meanwhile; the volume controls then act on the track. Remembered per language.
  var audios = [];
  try { audios = JSON.parse(box.dataset.audio || "[]"); } catch (e) { audios = []; }
  var alt = null, altTrack = audios[0] || null;
  function out() { return alt || video; }
  function key(t) { return t.lang + (t.ad ? ".ad" : ""); }
  function follow() {
    if (!alt) return;
    if (alt.playbackRate !== video.playbackRate) alt.playbackRate = video.playbackRate;
    if (alt.readyState && Math.abs(alt.currentTime - video.currentTime) > 0.25) alt.currentTime = video.currentTime;
    if (video.paused || video.ended || video.seeking || box.classList.contains("vp-wait")) { if (!alt.paused) alt.pause(); }
    else if (alt.paused) alt.play().catch(() => {});
  }
  function audio(t, quiet) {
    if (!t.src && alt) {
      video.volume = alt.volume; video.muted = alt.muted;
      alt.pause(); alt.remove(); alt = null;
    } else if (t.src) {
      if (!alt) {
        alt = el("audio", "vp-alt", box);
        alt.preload = "auto";
        alt.volume = video.volume; alt.muted = video.muted;
        on(alt, "volumechange", () => { put("volume", alt.volume); put("muted", alt.muted ? 1 : 0); paint(); });
        video.muted = true;
      }
      alt.src = new URL(t.src, location.href).href;
      alt.currentTime = video.currentTime;
      follow();
    }
    altTrack = t;
    put("audio", t.src ? key(t) : "");
    attr(box, "data-audio-track", t.src ? key(t) : "main");
    attr(auB, "aria-label", "Audio: " + t.label);
    if (!quiet) say("Audio " + t.label);
  }
  ["play", "pause", "playing", "waiting", "seeking", "seeked", "ratechange", "timeupdate", "ended"].forEach(e => on(video, e, follow));

  // Chapters ([[start, title], ...], from the page): a mark on the seek bar where each begins, its
  // title in the seek preview and beside the time, and a menu that seeks to one.
  var chapters = [];
  try { chapters = JSON.parse(box.dataset.chapters || "[]"); } catch (e) { chapters = []; }
  function chapterAt(t) { var c = null; chapters.forEach(x => { if (x[0] <= t + 0.05) c = x; }); return c; }
  function drawMarks() {
    var dur = video.duration || +box.dataset.duration || 0;
    marks.innerHTML = "";
    if (dur) chapters.slice(1).forEach(c => { el("span", "vp-mark", marks).style.left = (c[0] / dur * 100) + "%"; });
  }
  on(video, "durationchange", drawMarks);
  drawMarks();

  // Seeking and its storyboard preview.
  on(seek, "input", () => { seek.dragging = true; video.currentTime = seek.value / 1000 * (video.duration || 0); });
  on(seek, "change", () => seek.dragging = false);
  var board = null, boardURL = box.dataset.storyboard && new URL(box.dataset.storyboard, location.href).href;
  function cues(text) {
    var out = [], re = /(\d+):(\d+):(\d+\.\d+) --> (\d+):(\d+):(\d+\.\d+)\s+(\S+)#xywh=(\d+),(\d+),(\d+),(\d+)/g, m;
    while ((m = re.exec(text))) out.push({ a: m[1] * 3600 + m[2] * 60 + +m[3], b: m[4] * 3600 + m[5] * 60 + +m[6], url: new URL(m[7], boardURL).href, x: m[8], y: m[9], w: m[10], h: m[11] });
    return out;
  }
  on(seek, "pointermove", e => {
    var r = seek.getBoundingClientRect(), f = Math.max(0, Math.min(1, (e.clientX - r.left) / r.width)), t = f * (video.duration || 0);
    ptime.textContent = clock(t);
    var ch = chapterAt(t);
    pchap.textContent = ch ? ch[1] : "";
    preview.style.left = Math.max(0, Math.min(r.width - 160, e.clientX - r.left - 80)) + "px";
    box.classList.add("vp-hover");
    if (boardURL && !board) { board = []; fetch(boardURL).then(x => x.text()).then(t => board = cues(t)).catch(() => {}); }
    var c = board && board.filter(c => c.a <= t && t < c.b)[0];
    thumb.style.display = c ? "block" : "none";
    if (c) {
      thumb.style.cssText = "width:" + c.w + "px;height:" + c.h + "px;background:url('" + c.url + "') -" + c.x + "px -" + c.y + "px";
    }
  });
  on(seek, "pointerleave", () => box.classList.remove("vp-hover"));

  // Menus: a button opens a list of radio items; arrows move, Enter or Space picks, Escape closes.
  var open = null;
  function menu(b, name, items, pick) {
    b.type = "button";
    attr(b, "aria-haspopup", "menu");
    attr(b, "aria-expanded", "false");
    var list = el("div", "vp-menu", box);
    attr(list, "role", "menu");
    attr(list, "aria-label", name);
    list.hidden = true;
    function close(focus) {
      list.hidden = true;
      attr(b, "aria-expanded", "false");
      open = null;
      if (focus) b.focus();
    }
    function show() {
      if (open) open.close();
      list.innerHTML = "";
      var focus = null;
      items().forEach(it => {
        var i = el("button", "vp-item", list, it.label);
        i.type = "button";
        attr(i, "role", "menuitemradio");
        attr(i, "aria-checked", it.on ? "true" : "false");
        i.tabIndex = -1;
        on(i, "click", () => { pick(it.value); close(true); paint(); tick(); });
        if (it.on) focus = i;
      });
      list.hidden = false;
      attr(b, "aria-expanded", "true");
      open = { close: close, list: list };
      if (focus || list.firstChild) (focus || list.firstChild).focus();
    }
    on(b, "click", () => list.hidden ? show() : close(true));
    on(b, "keydown", e => { if (e.key === "ArrowUp" || e.key === "ArrowDown") { e.preventDefault(); show(); } });
    on(list, "keydown", e => {
      var all = Array.prototype.slice.call(list.children), i = all.indexOf(d.activeElement);
      var to = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: all.length - 1 }[e.key];
      if (to !== undefined) { e.preventDefault(); all[(to + all.length) % all.length].focus(); }
      else if (e.key === "Escape") { e.preventDefault(); close(true); }
      else if (e.key === "Tab") close(false);
      e.stopPropagation();
    });
    return { show: show };
  }
  var speeds = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2];
  menu(speedB, "Speed", () => {
    return speeds.map(s => { return { label: s === 1 ? "Normal" : s + "x", value: s, on: video.playbackRate === s }; });
  }, rate);
  function tracks() {
    return [...(video.textTracks || [])].filter(t => t.kind === "captions" || t.kind === "subtitles");
  }
  function caption(track) {
    tracks().forEach(t => t.mode = t === track ? "showing" : "disabled");
    put("captions", track ? track.label || track.language : "off");
    attr(ccB, "aria-pressed", track ? "true" : "false");
    say(track ? "Captions " + (track.label || track.language) : "Captions off");
  }
  menu(ccB, "Captions", () => {
    return [{ label: "Off", value: null, on: !tracks().some(t => t.mode === "showing") }].concat(
      tracks().map(t => { return { label: t.label || t.language || "Captions", value: t, on: t.mode === "showing" }; }));
  }, caption);
  attr(ccB, "aria-label", "Captions (c)");
  menu(chB, "Chapters", () => {
    var now = chapterAt(video.currentTime);
    return chapters.map(c => { return { label: clock(c[0]) + " " + c[1], value: c, on: c === now }; });
  }, c => { video.currentTime = c[0]; say("Chapter: " + c[1]); });
  chB.hidden = !chapters.length;
  menu(auB, "Audio", () => audios.map(t => { return { label: t.label, value: t, on: t === altTrack }; }), t => audio(t));
  auB.hidden = audios.length < 2;
  if (audios.length > 1) {
    var heard = audios.filter(t => t.src && key(t) === get("audio"))[0];
    audio(heard || audios[0], true);
  }
  var remembered = get("captions");
  if (remembered) tracks().forEach(t => t.mode = (t.label || t.language) === remembered ? "showing" : "disabled");
  ccB.hidden = !tracks().length;
  attr(ccB, "aria-pressed", tracks().some(t => t.mode === "showing") ? "true" : "false");
  menu(qB, "Quality", () => {
    var e = ui.engine && ui.engine();
    if (!e) return [];
    var playing = e.playing();
    return [{ label: "Auto" + (playing ? " (" + playing.name + ")" : ""), value: -1, on: e.auto }].concat(
      e.levels.map((l, i) => { return { label: l.name, value: i, on: !e.auto && playing === l }; }).reverse());
  }, i => {
    var e = ui.engine();
    e.set(i);
    say("Quality " + (i < 0 ? "Auto" : e.levels[i].name));
  });
  qB.hidden = true;
  ui.fetching = l => attr(box, "data-level", l.name);
  // The codec the view plays (`av1` or `h264`), in the box's state and the quality menu's label.
  ui.codec = c => attr(box, "data-codec", c);
  ui.levels = () => { var e = ui.engine && ui.engine(); qB.hidden = !e || e.levels.length < 2; };

  // Keys: when nothing else on the page wants them.
  on(d, "keydown", e => {
    var t = e.target, tag = t.tagName;
    if (e.ctrlKey || e.metaKey || e.altKey || t.isContentEditable || tag === "TEXTAREA" || tag === "SELECT") return;
    if (tag === "INPUT" && t.type !== "range") return;
    if (t !== d.body && !box.contains(t)) return;
    var k = e.key, dur = video.duration || 0, done = true;
    if ((k === " " && tag !== "BUTTON") || k === "k") toggle();
    else if (k === "j") skip(-10);
    else if (k === "l") skip(10);
    else if (k === "ArrowLeft") skip(-5);
    else if (k === "ArrowRight") skip(5);
    else if (k === "ArrowUp" && !open) volume(out().volume + 0.05);
    else if (k === "ArrowDown" && !open) volume(out().volume - 0.05);
    else if (k === "f") fullscreen();
    else if (k === "m") { var o = out(); o.muted = !o.muted; say(o.muted ? "Muted" : "Unmuted"); }
    else if (k === "c") { var all = tracks(), on = all.filter(x => x.mode === "showing")[0]; caption(on ? null : all[0] || null); }
    else if (/^[0-9]$/.test(k) && dur) video.currentTime = dur * k / 10;
    else if (k === "Home") video.currentTime = 0;
    else if (k === "End" && dur) video.currentTime = dur - 0.1;
    else if (k === "<" || k === ">") {
      var i = speeds.indexOf(video.playbackRate);
      rate(speeds[Math.max(0, Math.min(speeds.length - 1, (i < 0 ? 3 : i) + (k === ">" ? 1 : -1)))]);
    } else done = false;
    if (done) { e.preventDefault(); box.classList.remove("vp-idle"); }
  });

  // Touch: double-tap the left or right third to skip 10 s; a single tap shows the controls.
  var lastTap = 0;
  on(video, "touchend", e => {
    var now = Date.now(), r = video.getBoundingClientRect(), x = (e.changedTouches[0].clientX - r.left) / r.width;
    if (now - lastTap < 300 && (x < 1 / 3 || x > 2 / 3)) { e.preventDefault(); skip(x < 1 / 3 ? -10 : 10); lastTap = 0; return; }
    lastTap = now;
    box.classList.remove("vp-idle");
  });
  // Controls fade while playing and the pointer rests.
  var idle = 0;
  function wake() { box.classList.remove("vp-idle"); clearTimeout(idle); idle = setTimeout(() => { if (!video.paused && !bar.contains(d.activeElement)) box.classList.add("vp-idle"); }, 2500); }
  ["pointermove", "focusin", "keydown"].forEach(e => on(box, e, wake));
  on(d, "click", e => { if (open && !open.list.contains(e.target) && !e.target.closest(".vp-txt")) open.close(false); });
  paint();
  tick();
  return ui;
}

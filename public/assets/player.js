// vlog's player, written for vlog (no third-party code). It plays vlog's own VOD streams (CMAF
// HLS: an init segment and fragmented-MP4 segments per rung, aligned keyframes) through Media
// Source Extensions (Firefox, Chromium, Edge), ManagedMediaSource where that is what the browser
// offers (Safari on iPhone), and native HLS only as the last resort (and for MPEG-TS streams).
// Knowing the streams is what keeps it small: one SourceBuffer, segments appended in order, a rung
// switch is the next segment of another rung after its init segment.
// - Adaptive bitrate: starts on the lowest rung, then picks the highest rung that the measured
//   throughput (a fast and a slow moving average; the lower counts) carries with a margin that
//   grows as the buffer empties; a segment that would not arrive before the buffer runs dry is
//   abandoned for a lower rung.
// - Controls: play, seek bar with storyboard previews, volume and mute (remembered), speed
//   (0.25x-2x), captions (remembered), quality (Auto or a rung, remembered), picture-in-picture,
//   full screen; YouTube's keys (k/space, j/l, arrows, f, m, c, 0-9, < >), double-tap to skip.
// - Playhead beacons (see `beacons`) in every mode; `?t=90` or `#t=1m30s` starts there.
// Nothing is fetched before the first play.
(function () {
  "use strict";
  var d = document;
  function get(k) { try { return localStorage.getItem("vlog." + k); } catch (e) { return null; } }
  function put(k, v) { try { localStorage.setItem("vlog." + k, v); } catch (e) {} }
  function el(tag, cls, parent, text) {
    var e = d.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function clock(t) {
    t = Math.max(0, Math.floor(t || 0));
    var h = Math.floor(t / 3600), m = Math.floor(t / 60) % 60, s = ("0" + t % 60).slice(-2);
    return h ? h + ":" + ("0" + m).slice(-2) + ":" + s : m + ":" + s;
  }
  function hex(n) {
    var b = new Uint8Array(n);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }
  // `?t=90`, `#t=1m30s`, `#t=1h2m3s`.
  function startTime() {
    var m = /[?&#]t=([0-9hms.]+)/.exec(location.search + location.hash);
    if (!m) return 0;
    if (/^[0-9.]+$/.test(m[1])) return parseFloat(m[1]);
    var p = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(m[1]);
    return p ? (+p[1] || 0) * 3600 + (+p[2] || 0) * 60 + (+p[3] || 0) : 0;
  }

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
        name: a.NAME || res[1] + "p", url: new URL(lines[i + 1], base).href });
    }
    return out.sort(function (x, y) { return x.bw - y.bw; });
  }
  function media(text, base) {
    var pl = { init: null, segs: [], dur: 0 }, lines = text.split(/\r?\n/), len = 0;
    lines.forEach(function (l) {
      if (l.indexOf("#EXT-X-MAP:") === 0) pl.init = new URL(attrs(l.slice(11)).URI, base).href;
      else if (l.indexOf("#EXTINF:") === 0) len = parseFloat(l.slice(8));
      else if (l && l[0] !== "#") { pl.segs.push({ start: pl.dur, dur: len, url: new URL(l, base).href }); pl.dur += len; }
    });
    return pl;
  }
  function load(url, type, onProgress) {
    var x = new XMLHttpRequest(), p = new Promise(function (ok, fail) {
      x.open("GET", url);
      x.responseType = type;
      x.onload = function () { x.status >= 200 && x.status < 300 ? ok(x.response) : fail(new Error(url + ": HTTP " + x.status)); };
      x.onerror = x.onabort = function () { fail(new Error(url + ": failed")); };
      if (onProgress) x.onprogress = onProgress;
      x.send();
    });
    p.xhr = x;
    return p;
  }

  // The streaming engine: keeps about 30 s ahead of the playhead, 30 s behind.
  function Engine(video, src, ui) {
    var MS = window.MediaSource || window.ManagedMediaSource, ms = new MS(), sb = null, self = this;
    var levels = [], cur = 0, initOf = -1, busy = false, req = null, started = false, done = false;
    var fast = 0, slow = 0, samples = 0, played = [];
    self.auto = true;
    self.levels = levels;
    if (!window.MediaSource) video.disableRemotePlayback = true;  // ManagedMediaSource asks for it
    video.src = URL.createObjectURL(ms);
    function ahead() {
      var b = video.buffered, t = video.currentTime;
      for (var i = 0; i < b.length; i++) if (b.start(i) <= t + 0.3 && b.end(i) > t) return b.end(i) - t;
      return 0;
    }
    function estimate() { return samples ? 1 / Math.max(fast, slow) : 0; }
    function choose() {
      if (!self.auto) return cur;
      var est = estimate(), buf = ahead(), margin = buf < 8 ? 0.5 : buf < 20 ? 0.7 : 0.85, pick = 0;
      if (!samples) return 0;  // start low; the first segment measures the link
      for (var i = 0; i < levels.length; i++) if (levels[i].bw <= est * margin) pick = i;
      return pick;
    }
    // Throughput as time per bit, averaged over the content fetched (half-lives of 4 s and 12 s of
    // content); the slower of the two counts. Averaging time, not speed, lets a slow link show at once.
    function measure(bytes, secs, weight) {
      var inv = Math.max(secs, 0.001) / Math.max(bytes * 8, 1), a = Math.pow(0.5, weight / 4), b = Math.pow(0.5, weight / 12);
      fast = samples ? a * fast + (1 - a) * inv : inv;
      slow = samples ? b * slow + (1 - b) * inv : inv;
      samples++;
    }
    function append(buf) {
      return new Promise(function (ok, fail) {
        function end() { sb.removeEventListener("updateend", end); sb.removeEventListener("error", err); ok(); }
        function err() { sb.removeEventListener("updateend", end); sb.removeEventListener("error", err); fail(new Error("append")); }
        sb.addEventListener("updateend", end);
        sb.addEventListener("error", err);
        try { sb.appendBuffer(buf); } catch (e) { end(); fail(e); }
      });
    }
    function playlist(i) {
      var l = levels[i];
      if (!l.pl) l.pl = load(l.url, "text").then(function (t) { return media(t, l.url); });
      return l.pl;
    }
    function evict() {
      var t = video.currentTime - 30;
      if (sb && !sb.updating && video.buffered.length && video.buffered.start(0) < t - 10) {
        try { sb.remove(0, t); } catch (e) {}
      }
    }
    // The next thing to fetch: an init segment, or the segment where the buffer ends.
    function pump() {
      if (busy || !started || !sb || sb.updating || ms.readyState === "closed") return;
      if (ahead() >= 30) { evict(); return; }
      var level = choose();
      busy = true;
      playlist(level).then(function (pl) {
        if (!pl.init) throw new Error("not CMAF");
        if (initOf !== level) {
          return load(pl.init, "arraybuffer").then(function (data) {
            if (sb.changeType && levels[level].codecs !== levels[cur].codecs) sb.changeType(mime(levels[level]));
            cur = level;
            initOf = level;
            return append(data);
          });
        }
        cur = level;
        var t = video.currentTime + ahead() + 0.2, i = 0;
        while (i < pl.segs.length && pl.segs[i].start + pl.segs[i].dur <= t) i++;
        if (i >= pl.segs.length) {
          if (!done && ms.readyState === "open") { done = true; ms.endOfStream(); }
          return;
        }
        done = false;
        var seg = pl.segs[i], t0 = performance.now(), room = ahead();
        ui.fetching(levels[level]);
        req = load(seg.url, "arraybuffer", function (e) {
          // Would it arrive before the buffer runs dry? If not, a lower rung now.
          var secs = (performance.now() - t0) / 1000, expected = levels[level].bw * seg.dur / 8;
          if (self.auto && level > 0 && secs > 1 && e.loaded / secs * (room - 1) < expected - e.loaded) {
            measure(e.loaded, secs, secs);
            req.xhr.abort();
          }
        });
        return req.then(function (data) {
          measure(data.byteLength, (performance.now() - t0) / 1000, seg.dur);
          played.push([seg.start, seg.start + seg.dur, level]);
          if (played.length > 400) played.shift();
          return append(data);
        });
      }).catch(function (e) {
        if (String(e).indexOf("not CMAF") >= 0) { self.fallback(); return; }
        if (e && e.name === "QuotaExceededError") evict();
      }).then(function () { busy = false; req = null; setTimeout(pump, 0); });
    }
    function mime(l) { return 'video/mp4; codecs="' + l.codecs + '"'; }
    self.start = function (at) {
      if (started) return;
      started = true;
      load(src, "text").then(function (text) {
        master(text, src).forEach(function (l) { levels.push(l); });
        var fixed = get("quality");
        for (var i = 0; i < levels.length; i++) if (levels[i].name === fixed) { self.auto = false; cur = i; }
        ui.levels();
        return playlist(self.auto ? 0 : cur);
      }).then(function (pl) {
        if (!pl.init) throw new Error("not CMAF");
        var go = function () {
          if (!MS.isTypeSupported(mime(levels[cur]))) { self.fallback(); return; }
          sb = ms.addSourceBuffer(mime(levels[cur]));
          ms.duration = pl.dur;
          if (at > 0 && at < pl.dur) video.currentTime = at;
          pump();
        };
        ms.readyState === "open" ? go() : ms.addEventListener("sourceopen", go, { once: true });
      }).catch(function () { self.fallback(); });
    };
    // The rung being played (not fetched).
    self.playing = function () {
      var t = video.currentTime;
      for (var i = played.length - 1; i >= 0; i--) if (played[i][0] <= t + 0.05 && t < played[i][1]) return levels[played[i][2]];
      return levels[cur];
    };
    self.set = function (i) {
      self.auto = i < 0;
      put("quality", self.auto ? "" : levels[i].name);
      if (self.auto) return pump();
      cur = i;
      if (req) req.xhr.abort();
      // Replace what is buffered ahead with the chosen rung, from the next segment on.
      var drop = function () {
        if (sb.updating) return setTimeout(drop, 50);
        var from = video.currentTime + 1;
        if (video.buffered.length && video.buffered.end(video.buffered.length - 1) > from) sb.remove(from, Infinity);
        setTimeout(pump, 60);
      };
      if (sb) drop();
    };
    self.estimate = estimate;
    self.fallback = function () {};
    ["timeupdate", "seeking", "progress", "play", "waiting"].forEach(function (e) { video.addEventListener(e, pump); });
    video.addEventListener("seeking", function () {
      if (req && ahead() === 0) req.xhr.abort();
    });
    setInterval(pump, 500);
  }

  // Playhead beacons: GET BEACON?v=video&p=page-view&e=event&t=position&r=rate&h=height&s=seq
  // (&f=from for seeks). Events: play, pause, seek, rate, ended, tick (every 10 s while playing),
  // hide (page hidden or closed). They follow the media element, however playback was started.
  function beacons(video, url, slug) {
    var pv = hex(8), seq = 0, started = false, playing = false, last = 0, known = 0, from = null;
    function send(e, extra, pos) {
      if (!started) return;
      var q = "v=" + encodeURIComponent(slug) + "&p=" + pv + "&e=" + e + "&t=" + (pos === undefined ? video.currentTime || 0 : pos).toFixed(2) +
        "&r=" + (video.playbackRate || 1) + "&h=" + (video.videoHeight || 0) + "&s=" + (seq++) + (extra || "");
      last = performance.now();
      try {
        // A page being closed may cancel a fetch: sendBeacon is made for that moment (it POSTs; the
        // web server logs the request line all the same).
        if (e === "hide" && navigator.sendBeacon && navigator.sendBeacon(url + "?" + q)) return;
        fetch(url + "?" + q, { keepalive: true, cache: "no-store", credentials: "same-origin" }).catch(function () {});
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
      if (started && !video.paused && !video.seeking && from === null && performance.now() - last >= 10000) send("tick");
    });
    // While unloading, the element may already read as paused: the last state seen decides.
    function hide() { if (playing) send("hide", "", Math.max(video.currentTime || 0, known || 0)); }
    d.addEventListener("visibilitychange", function () { if (d.visibilityState === "hidden") hide(); });
    window.addEventListener("pagehide", hide);
  }

  function setup(box) {
    var video = box.querySelector("video"), src = box.getAttribute("data-src");
    if (!video || !src) return;
    src = new URL(src, location.href).href;
    var mse = (window.MediaSource || window.ManagedMediaSource) && !box.hasAttribute("data-native");
    var native = video.canPlayType("application/vnd.apple.mpegurl");
    if (box.getAttribute("data-beacon")) beacons(video, box.getAttribute("data-beacon"), box.getAttribute("data-video") || "");
    if (!mse && !native) {
      msg(box, "This browser cannot play this video. Try a current Firefox, Chrome, Edge or Safari, or open the stream in VLC.");
      return;
    }
    Array.prototype.slice.call(video.querySelectorAll("source")).forEach(function (s) { s.remove(); });
    var ui = controls(box, video), at = startTime(), engine = null;
    function nativePlay() {
      if (!native) { msg(box, "This browser cannot play this video's format."); return; }
      engine = null;
      ui.levels();
      video.src = src;
      if (at) video.addEventListener("loadedmetadata", function () { video.currentTime = at; }, { once: true });
      video.play().catch(function () {});
    }
    if (mse) {
      engine = new Engine(video, src, ui);
      engine.fallback = function () { video.removeAttribute("src"); nativePlay(); };
      video.addEventListener("play", function () { if (engine) engine.start(at); }, { once: true });
    } else {
      video.src = src;
      if (at) video.addEventListener("loadedmetadata", function () { video.currentTime = at; }, { once: true });
    }
    ui.engine = function () { return engine; };
    window.addEventListener("hashchange", function () { var t = startTime(); if (t) { at = t; if (video.readyState) video.currentTime = t; } });
    box.setAttribute("data-mode", mse ? "mse" : "native");
    video.addEventListener("error", function () {
      if (engine) return;
      msg(box, "The video could not be played (" + (video.error ? "error " + video.error.code : "unknown error") + ").");
    });
    if (box.hasAttribute("data-autoplay") || /[?&]autoplay=1/.test(location.search)) {
      video.muted = true;
      video.play().catch(function () {});
    }
    share(video);
  }
  function msg(box, text) {
    var p = box.querySelector(".player-msg");
    if (p) { p.textContent = text; p.hidden = false; }
  }
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
    Array.prototype.forEach.call(box.querySelectorAll("[data-copy]"), function (b) {
      b.addEventListener("click", function () {
        var f = d.getElementById(b.getAttribute("data-copy"));
        f.select();
        if (navigator.clipboard) navigator.clipboard.writeText(f.value).catch(function () {});
        b.textContent = "Copied";
        setTimeout(function () { b.textContent = "Copy"; }, 1500);
      });
    });
  }

  function init() {
    if (d.querySelector("[data-vlog-player][data-cookie]") && !/(?:^|;\s*)vlog_viewer=/.test(d.cookie)) {
      d.cookie = "vlog_viewer=" + hex(16) + "; Max-Age=31536000; Path=/; SameSite=Lax" + (location.protocol === "https:" ? "; Secure" : "");
    }
    Array.prototype.forEach.call(d.querySelectorAll("[data-vlog-player]"), setup);
  }
  // The controls: real buttons with names, menus operable by keyboard (arrows, Home/End, Enter,
  // Escape), state announced to screen readers, YouTube's keys, double-tap to skip on touch.
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
      b.setAttribute("aria-label", label);
      b.title = label;
      if (name) icon(b, name);
      return b;
    }

    video.controls = false;
    box.classList.add("vp");
    var live = el("div", "visually-hidden", box);
    live.setAttribute("aria-live", "polite");
    function say(text) { live.textContent = text; osd.textContent = text; osd.classList.add("on"); clearTimeout(osd.t); osd.t = setTimeout(function () { osd.classList.remove("on"); }, 900); }
    var osd = el("div", "vp-osd", box);
    osd.setAttribute("aria-hidden", "true");
    var big = button(box, "Play", "play", "vp-big");
    var bar = el("div", "vp-bar", box);
    var seek = el("input", "vp-seek", bar);
    seek.type = "range"; seek.min = 0; seek.max = 1000; seek.step = 1; seek.value = 0;
    seek.setAttribute("aria-label", "Seek");
    var preview = el("div", "vp-preview", bar), thumb = el("div", "vp-thumb", preview), ptime = el("span", "", preview);
    preview.setAttribute("aria-hidden", "true");
    var row = el("div", "vp-row", bar);
    var playB = button(row, "Play (k)", "play"), muteB = button(row, "Mute (m)", "vol");
    var vol = el("input", "vp-vol", row);
    vol.type = "range"; vol.min = 0; vol.max = 1; vol.step = 0.05;
    vol.setAttribute("aria-label", "Volume");
    var time = el("span", "vp-time", row, "0:00 / 0:00");
    el("span", "vp-fill", row);
    var ccB = el("button", "vp-btn vp-txt vp-cc", row, "CC"), speedB = el("button", "vp-btn vp-txt vp-speed", row, "1x");
    var qB = el("button", "vp-btn vp-txt vp-q", row, "Auto");
    var pipB = d.pictureInPictureEnabled ? button(row, "Picture in picture", "pip") : null;
    var fsB = button(row, "Full screen (f)", "fs");

    function toggle() { if (video.paused || video.ended) video.play().catch(function () {}); else video.pause(); }
    function skip(s) { video.currentTime = Math.max(0, Math.min((video.duration || 0) - 0.1, video.currentTime + s)); say((s > 0 ? "+" : "") + s + " s"); }
    function volume(v) { video.muted = false; video.volume = Math.max(0, Math.min(1, v)); say("Volume " + Math.round(video.volume * 100) + "%"); }
    function rate(r) { video.playbackRate = Math.max(0.25, Math.min(2, r)); }
    function fullscreen() {
      if (d.fullscreenElement) d.exitFullscreen();
      else if (box.requestFullscreen) box.requestFullscreen().catch(function () {});
      else if (video.webkitEnterFullscreen) video.webkitEnterFullscreen();
    }
    [big, playB].forEach(function (b) { b.addEventListener("click", toggle); });
    video.addEventListener("click", toggle);
    video.addEventListener("dblclick", fullscreen);
    muteB.addEventListener("click", function () { video.muted = !video.muted; });
    vol.addEventListener("input", function () { volume(+vol.value); });
    fsB.addEventListener("click", fullscreen);
    if (pipB) pipB.addEventListener("click", function () {
      (d.pictureInPictureElement ? d.exitPictureInPicture() : video.requestPictureInPicture()).catch(function () {});
    });

    // State shown and announced.
    function paint() {
      var p = video.paused || video.ended, label = p ? "Play (k)" : "Pause (k)";
      icon(playB, p ? "play" : "pause");
      playB.setAttribute("aria-label", label); playB.title = label;
      box.classList.toggle("vp-paused", p);
      var m = video.muted || video.volume === 0;
      icon(muteB, m ? "muted" : "vol");
      muteB.setAttribute("aria-label", m ? "Unmute (m)" : "Mute (m)");
      vol.value = video.muted ? 0 : video.volume;
      speedB.textContent = video.playbackRate + "x";
      speedB.setAttribute("aria-label", "Speed " + video.playbackRate + "x");
      var fs = !!d.fullscreenElement;
      icon(fsB, fs ? "unfs" : "fs");
      fsB.setAttribute("aria-label", fs ? "Exit full screen (f)" : "Full screen (f)");
    }
    function tick() {
      var dur = video.duration || 0;
      if (!seek.dragging) seek.value = dur ? Math.round(video.currentTime / dur * 1000) : 0;
      seek.setAttribute("aria-valuetext", clock(video.currentTime) + " of " + clock(dur));
      time.textContent = clock(video.currentTime) + " / " + clock(dur);
      var e = ui.engine && ui.engine(), l = e && e.playing();
      if (l) { qB.textContent = e.auto ? "Auto (" + l.name + ")" : l.name; qB.setAttribute("aria-label", "Quality " + qB.textContent); box.setAttribute("data-rung", l.name); }
    }
    ["play", "pause", "volumechange", "ratechange", "ended"].forEach(function (e) { video.addEventListener(e, paint); });
    ["timeupdate", "durationchange", "seeked"].forEach(function (e) { video.addEventListener(e, tick); });
    d.addEventListener("fullscreenchange", paint);
    video.addEventListener("play", function () { say("Playing"); box.classList.add("vp-started"); });
    video.addEventListener("pause", function () { if (!video.ended) say("Paused"); });
    video.addEventListener("volumechange", function () { put("volume", video.volume); put("muted", video.muted ? 1 : 0); });
    video.addEventListener("ratechange", function () { say("Speed " + video.playbackRate + "x"); });
    video.addEventListener("waiting", function () { box.classList.add("vp-wait"); });
    video.addEventListener("playing", function () { box.classList.remove("vp-wait"); });
    if (get("volume") !== null && !box.hasAttribute("data-autoplay")) { video.volume = +get("volume"); video.muted = get("muted") === "1"; }

    // Seeking and its storyboard preview.
    seek.addEventListener("input", function () { seek.dragging = true; video.currentTime = seek.value / 1000 * (video.duration || 0); });
    seek.addEventListener("change", function () { seek.dragging = false; });
    var board = null, boardURL = box.getAttribute("data-storyboard");
    function cues(text) {
      var out = [], re = /(\d+):(\d+):(\d+\.\d+) --> (\d+):(\d+):(\d+\.\d+)\s+(\S+)#xywh=(\d+),(\d+),(\d+),(\d+)/g, m;
      while ((m = re.exec(text))) out.push({ a: m[1] * 3600 + m[2] * 60 + +m[3], b: m[4] * 3600 + m[5] * 60 + +m[6], url: new URL(m[7], boardURL).href, x: m[8], y: m[9], w: m[10], h: m[11] });
      return out;
    }
    seek.addEventListener("pointermove", function (e) {
      var r = seek.getBoundingClientRect(), f = Math.max(0, Math.min(1, (e.clientX - r.left) / r.width)), t = f * (video.duration || 0);
      ptime.textContent = clock(t);
      preview.style.left = Math.max(0, Math.min(r.width - 160, e.clientX - r.left - 80)) + "px";
      box.classList.add("vp-hover");
      if (boardURL && !board) { board = []; fetch(boardURL).then(function (x) { return x.text(); }).then(function (t) { board = cues(t); }).catch(function () {}); }
      var c = board && board.filter(function (c) { return c.a <= t && t < c.b; })[0];
      thumb.style.display = c ? "block" : "none";
      if (c) {
        thumb.style.cssText = "width:" + c.w + "px;height:" + c.h + "px;background:url('" + c.url + "') -" + c.x + "px -" + c.y + "px";
      }
    });
    seek.addEventListener("pointerleave", function () { box.classList.remove("vp-hover"); });

    // Menus: a button opens a list of radio items; arrows move, Enter or Space picks, Escape closes.
    var open = null;
    function menu(b, name, items, pick) {
      b.type = "button";
      b.setAttribute("aria-haspopup", "menu");
      b.setAttribute("aria-expanded", "false");
      var list = el("div", "vp-menu", box);
      list.setAttribute("role", "menu");
      list.setAttribute("aria-label", name);
      list.hidden = true;
      function close(focus) {
        list.hidden = true;
        b.setAttribute("aria-expanded", "false");
        open = null;
        if (focus) b.focus();
      }
      function show() {
        if (open) open.close();
        list.innerHTML = "";
        var focus = null;
        items().forEach(function (it) {
          var i = el("button", "vp-item", list, it.label);
          i.type = "button";
          i.setAttribute("role", "menuitemradio");
          i.setAttribute("aria-checked", it.on ? "true" : "false");
          i.tabIndex = -1;
          i.addEventListener("click", function () { pick(it.value); close(true); paint(); tick(); });
          if (it.on) focus = i;
        });
        list.hidden = false;
        b.setAttribute("aria-expanded", "true");
        open = { close: close, list: list };
        if (focus || list.firstChild) (focus || list.firstChild).focus();
      }
      b.addEventListener("click", function () { list.hidden ? show() : close(true); });
      b.addEventListener("keydown", function (e) { if (e.key === "ArrowUp" || e.key === "ArrowDown") { e.preventDefault(); show(); } });
      list.addEventListener("keydown", function (e) {
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
    menu(speedB, "Speed", function () {
      return speeds.map(function (s) { return { label: s === 1 ? "Normal" : s + "x", value: s, on: video.playbackRate === s }; });
    }, rate);
    function tracks() {
      return Array.prototype.filter.call(video.textTracks || [], function (t) { return t.kind === "captions" || t.kind === "subtitles"; });
    }
    function caption(track) {
      tracks().forEach(function (t) { t.mode = t === track ? "showing" : "disabled"; });
      put("captions", track ? track.label || track.language : "off");
      ccB.setAttribute("aria-pressed", track ? "true" : "false");
      say(track ? "Captions " + (track.label || track.language) : "Captions off");
    }
    menu(ccB, "Captions", function () {
      return [{ label: "Off", value: null, on: !tracks().some(function (t) { return t.mode === "showing"; }) }].concat(
        tracks().map(function (t) { return { label: t.label || t.language || "Captions", value: t, on: t.mode === "showing" }; }));
    }, caption);
    ccB.setAttribute("aria-label", "Captions (c)");
    var remembered = get("captions");
    if (remembered) tracks().forEach(function (t) { t.mode = (t.label || t.language) === remembered ? "showing" : "disabled"; });
    ccB.hidden = !tracks().length;
    ccB.setAttribute("aria-pressed", tracks().some(function (t) { return t.mode === "showing"; }) ? "true" : "false");
    menu(qB, "Quality", function () {
      var e = ui.engine && ui.engine();
      if (!e) return [];
      var playing = e.playing();
      return [{ label: "Auto" + (playing ? " (" + playing.name + ")" : ""), value: -1, on: e.auto }].concat(
        e.levels.map(function (l, i) { return { label: l.name, value: i, on: !e.auto && playing === l }; }).reverse());
    }, function (i) {
      var e = ui.engine();
      e.set(i);
      say("Quality " + (i < 0 ? "Auto" : e.levels[i].name));
    });
    qB.hidden = true;
    ui.fetching = function (l) { box.setAttribute("data-level", l.name); };
    ui.levels = function () { var e = ui.engine && ui.engine(); qB.hidden = !e || e.levels.length < 2; };

    // Keys: when nothing else on the page wants them.
    d.addEventListener("keydown", function (e) {
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
      else if (k === "ArrowUp" && !open) volume(video.volume + 0.05);
      else if (k === "ArrowDown" && !open) volume(video.volume - 0.05);
      else if (k === "f") fullscreen();
      else if (k === "m") { video.muted = !video.muted; say(video.muted ? "Muted" : "Unmuted"); }
      else if (k === "c") { var all = tracks(), on = all.filter(function (x) { return x.mode === "showing"; })[0]; caption(on ? null : all[0] || null); }
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
    video.addEventListener("touchend", function (e) {
      var now = Date.now(), r = video.getBoundingClientRect(), x = (e.changedTouches[0].clientX - r.left) / r.width;
      if (now - lastTap < 300 && (x < 1 / 3 || x > 2 / 3)) { e.preventDefault(); skip(x < 1 / 3 ? -10 : 10); lastTap = 0; return; }
      lastTap = now;
      box.classList.remove("vp-idle");
    });
    // Controls fade while playing and the pointer rests.
    var idle = 0;
    function wake() { box.classList.remove("vp-idle"); clearTimeout(idle); idle = setTimeout(function () { if (!video.paused && !bar.contains(d.activeElement)) box.classList.add("vp-idle"); }, 2500); }
    ["pointermove", "focusin", "keydown"].forEach(function (e) { box.addEventListener(e, wake); });
    d.addEventListener("click", function (e) { if (open && !open.list.contains(e.target) && !e.target.closest(".vp-txt")) open.close(false); });
    paint();
    tick();
    return ui;
  }
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", init); else init();
})();

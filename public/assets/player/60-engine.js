// The streaming engine: the fetch pump. It keeps `aheadSeconds` buffered ahead of the playhead:
// each turn fetches either the chosen rung's init segment (a rung switch) or the segment where
// the buffer ends, measures the download and appends it.
function Engine(video, src, ui, cmcd) {
  var MS = window.MediaSource || window.ManagedMediaSource, ms = new MS(), self = this;
  var buffer = BufferWindow(video, TUNING), estimator = Estimator(TUNING);
  var levels = [], cur = 0, initOf = -1, busy = false, req = null, started = false, done = false, played = [];
  // Failures in a row, when the next try is due, and whether the engine gave up.
  var errors = 0, retryAt = 0, dead = false;
  // Startup until the first frame plays; a stall since the last request (CMCD su, bs); the start
  // delay, sent once (msd).
  var playing = false, starved = false, pressed = 0, msd;
  on(video, "playing", () => { if (!playing && pressed) msd = Math.round(performance.now() - pressed); playing = true; });
  on(video, "waiting", () => { if (playing && !video.seeking) starved = true; });
  // CMCD for a request of object type `ot` (m playlist, i init, av segment) of `level`.
  function cmcdData(ot, level) {
    var d = { cid: cmcd.cid, sid: cmcd.sid, ot: ot, sta: cmcd.state(video, starved), su: !playing, pt: Math.round(video.currentTime * 1000) };
    if (msd !== undefined) { d.msd = msd; msd = null; }
    if (level !== undefined && levels[level]) d.br = Math.round(levels[level].bw / 1000);
    if (ot === "av") {
      d.bl = Math.round(buffer.ahead() * 10) * 100;
      d.bs = starved;
      starved = false;
    }
    if (video.playbackRate !== 1) d.pr = video.playbackRate;
    return d;
  }
  self.auto = true;
  self.levels = levels;
  if (!window.MediaSource) video.disableRemotePlayback = true;  // ManagedMediaSource asks for it
  video.src = URL.createObjectURL(ms);
  function mime(l) { return 'video/mp4; codecs="' + l.codecs + '"'; }
  // One codec for the whole view (a SourceBuffer keeps its codec): the AV1 rungs where the browser
  // plays AV1 through MSE and says its decoder keeps up with the top one (Media Capabilities:
  // smooth), the H.264 rungs otherwise.
  function family(all) {
    var av1 = all.filter(l => /^av01/.test(l.codecs)), avc = all.filter(l => !/^av01/.test(l.codecs));
    if (!av1.length || !avc.length) return Promise.resolve(av1.length ? av1 : avc);
    var top = av1[av1.length - 1], mc = navigator.mediaCapabilities;
    if (!MS.isTypeSupported(mime(top))) return Promise.resolve(avc);
    if (!mc || !mc.decodingInfo) return Promise.resolve(av1);
    return mc.decodingInfo({ type: "media-source", video: { contentType: 'video/mp4; codecs="' + top.codecs.split(",")[0] + '"',
      width: top.w, height: top.h, bitrate: top.bw, framerate: top.fps || 30 } })
      .then(r => r.supported && r.smooth ? av1 : avc, () => avc);
  }
  function choose() {
    return self.auto ? chooseRung(estimator.bitsPerSecond(), buffer.ahead(), levels, TUNING) : cur;
  }
  function playlist(i) {
    var l = levels[i];
    if (!l.pl) l.pl = load(withCMCD(l.url, cmcdData("m", i)), "text").then(t => media(t, l.url));
    return l.pl;
  }
  // Switches the SourceBuffer to `level`'s init segment.
  function switchTo(level, pl) {
    return load(withCMCD(pl.init, cmcdData("i", level)), "arraybuffer").then(data => {
      var sb = buffer.sb;
      if (sb.changeType && levels[level].codecs !== levels[cur].codecs) sb.changeType(mime(levels[level]));
      cur = level;
      initOf = level;
      return buffer.append(data);
    });
  }
  // Fetches the segment of `pl` where the buffer ends; ends the stream after the last one.
  function fetchNext(level, pl) {
    var t = video.currentTime + buffer.ahead() + TUNING.nextSegmentSlack, i = 0;
    while (i < pl.segs.length && pl.segs[i].start + pl.segs[i].dur <= t) i++;
    if (i >= pl.segs.length) {
      if (!done && ms.readyState === "open") { done = true; ms.endOfStream(); }
      return;
    }
    done = false;
    var seg = pl.segs[i], t0 = performance.now(), room = buffer.ahead();
    ui.fetching(levels[level]);
    req = load(withCMCD(seg.url, cmcdData("av", level)), "arraybuffer", e => {
      // Would it arrive before the buffer runs dry? If not, a lower rung now.
      var secs = (performance.now() - t0) / 1000, expected = levels[level].bw * seg.dur / 8;
      if (self.auto && level > 0 && secs > TUNING.abandonAfterSeconds && e.loaded / secs * (room - 1) < expected - e.loaded) {
        estimator.measure(e.loaded, secs, secs);
        req.xhr.abort();
      }
    });
    return req.then(data => {
      estimator.measure(data.byteLength, (performance.now() - t0) / 1000, seg.dur);
      played.push([seg.start, seg.start + seg.dur, level]);
      if (played.length > TUNING.playedHistory) played.shift();
      return buffer.append(data);
    });
  }
  function pump() {
    if (dead || busy || !started || !buffer.sb || buffer.sb.updating || ms.readyState === "closed") return;
    if (performance.now() < retryAt) return;
    if (buffer.full()) { buffer.evict(); return; }
    var level = choose();
    busy = true;
    playlist(level).then(pl => {
      if (!pl.init) throw new NotCMAF();
      if (initOf !== level) return switchTo(level, pl);
      cur = level;
      return fetchNext(level, pl);
    }).then(() => { errors = 0; }, e => {
      if (e instanceof NotCMAF) { self.fallback(); return; }
      if (e && e.name === "QuotaExceededError") { buffer.evict(); return; }
      if (e && e.aborted) return;
      errors++;
      // What a retry will not mend: a segment that does not decode, or is not there (4xx).
      var lasting = e && (e.message === "append" || e.name === "InvalidStateError" || e.status >= 400 && e.status < 500);
      if (errors >= (lasting ? TUNING.maxLastingErrors : TUNING.maxLoadErrors)) { dead = true; self.failed(e); return; }
      retryAt = performance.now() + Math.min(8000, 500 * Math.pow(2, errors - 1));
    }).then(() => { busy = false; req = null; setTimeout(pump, 0); });
  }
  self.start = at => {
    if (started) return;
    started = true;
    pressed = performance.now();
    load(withCMCD(src, cmcdData("m")), "text").then(text => family(master(text, src))).then(chosen => {
      chosen.forEach(l => levels.push(l));
      ui.codec(/^av01/.test(chosen[0].codecs) ? "av1" : "h264");
      var fixed = get("quality");
      for (var i = 0; i < levels.length; i++) if (levels[i].name === fixed) { self.auto = false; cur = i; }
      ui.levels();
      return playlist(self.auto ? 0 : cur);
    }).then(pl => {
      if (!pl.init) throw new NotCMAF();
      var go = () => {
        if (!MS.isTypeSupported(mime(levels[cur]))) { self.fallback(); return; }
        buffer.sb = ms.addSourceBuffer(mime(levels[cur]));
        ms.duration = pl.dur;
        if (at > 0 && at < pl.dur) video.currentTime = at;
        pump();
      };
      ms.readyState === "open" ? go() : on(ms, "sourceopen", go, { once: true });
    }).catch(() => self.fallback());
  };
  // The rung being played (not fetched).
  self.playing = () => {
    var t = video.currentTime;
    for (var i = played.length - 1; i >= 0; i--) if (played[i][0] <= t + 0.05 && t < played[i][1]) return levels[played[i][2]];
    return levels[cur];
  };
  self.set = i => {
    self.auto = i < 0;
    put("quality", self.auto ? "" : levels[i].name);
    if (self.auto) return pump();
    cur = i;
    if (req) req.xhr.abort();
    // Replace what is buffered ahead with the chosen rung, from the next segment on.
    buffer.dropAhead(1, pump);
  };
  self.fallback = () => {};
  // Gave up: a segment that will not load or decode (set by the page's player).
  self.failed = () => {};
  ["timeupdate", "seeking", "progress", "play", "waiting"].forEach(e => on(video, e, pump));
  on(video, "seeking", () => {
    if (req && buffer.ahead() === 0) req.xhr.abort();
  });
  setInterval(pump, TUNING.pumpEveryMs);
}

// The media element's buffer and the one SourceBuffer that fills it.
function BufferWindow(video, tuning) {
  var self = {
    sb: null,
    // Seconds buffered ahead of the playhead (0 when the playhead is outside every range).
    ahead() {
      var b = video.buffered, t = video.currentTime;
      for (var i = 0; i < b.length; i++) if (b.start(i) <= t + tuning.bufferedSlack && b.end(i) > t) return b.end(i) - t;
      return 0;
    },
    full() { return self.ahead() >= tuning.aheadSeconds; },
    // Drops what lies more than `behindSeconds` behind the playhead.
    evict() {
      var t = video.currentTime - tuning.behindSeconds, sb = self.sb;
      if (sb && !sb.updating && video.buffered.length && video.buffered.start(0) < t - tuning.evictSlackSeconds) {
        try { sb.remove(0, t); } catch (e) {}
      }
    },
    append(data) {
      var sb = self.sb;
      return new Promise((ok, fail) => {
        sb.onupdateend = ok;
        sb.onerror = () => fail(new Error("append"));
        try { sb.appendBuffer(data); } catch (e) { fail(e); }
      });
    },
    // Drops what is buffered from `offset` seconds past the playhead on (a rung chosen by hand),
    // then calls `then`.
    dropAhead(offset, then) {
      var sb = self.sb;
      if (!sb) return;
      var drop = () => {
        if (sb.updating) return setTimeout(drop, 50);
        var from = video.currentTime + offset;
        if (video.buffered.length && video.buffered.end(video.buffered.length - 1) > from) sb.remove(from, Infinity);
        setTimeout(then, 60);
      };
      drop();
    }
  };
  return self;
}

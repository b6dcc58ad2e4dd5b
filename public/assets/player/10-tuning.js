// Every tuning number of the player, in one place.
var TUNING = {
  // Buffer kept ahead of the playhead, and behind it before it is evicted (with some slack).
  aheadSeconds: 30,
  behindSeconds: 30,
  evictSlackSeconds: 10,
  // The bandwidth estimate: time per bit averaged over this many seconds of content (fast and
  // slow); the slower of the two counts, so a slow link shows at once.
  fastHalfLife: 4,
  slowHalfLife: 12,
  // The share of the estimate a rung may use, by how much is buffered: little buffer, more caution.
  margins: [{ below: 8, use: 0.5 }, { below: 20, use: 0.7 }, { below: Infinity, use: 0.85 }],
  // A segment still loading after this many seconds that would not arrive before the buffer runs
  // dry is abandoned for a lower rung.
  abandonAfterSeconds: 1,
  // A request or append that fails is retried after 0.5 s, 1 s, 2 s ... (at most 8 s); after this
  // many failures in a row the video is reported as failed (a segment that does not decode, or
  // answers 4xx: 2).
  maxLoadErrors: 6,
  maxLastingErrors: 2,
  // The fetch pump runs on media events, and at least this often.
  pumpEveryMs: 500,
  // Segments remembered to tell which rung is playing.
  playedHistory: 400,
  // A gap this small between the playhead and a buffered range counts as buffered.
  bufferedSlack: 0.3,
  // Where the next segment is looked for, past the end of the buffer.
  nextSegmentSlack: 0.2
};

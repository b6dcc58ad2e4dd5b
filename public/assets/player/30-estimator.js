// The bandwidth estimate: time per bit (so a slow link shows at once), averaged over
// `fastHalfLife` and `slowHalfLife` seconds of content; the slower of the two counts.
function Estimator(tuning) {
  var fast = 0, slow = 0, samples = 0;
  return {
    // A download of `bytes` that took `secs`, worth `weight` seconds of content.
    measure(bytes, secs, weight) {
      var perBit = Math.max(secs, 0.001) / Math.max(bytes * 8, 1);
      var a = Math.pow(0.5, weight / tuning.fastHalfLife), b = Math.pow(0.5, weight / tuning.slowHalfLife);
      fast = samples ? a * fast + (1 - a) * perBit : perBit;
      slow = samples ? b * slow + (1 - b) * perBit : perBit;
      samples++;
    },
    // Bits per second, 0 before the first measurement.
    bitsPerSecond() { return samples ? 1 / Math.max(fast, slow) : 0; }
  };
}

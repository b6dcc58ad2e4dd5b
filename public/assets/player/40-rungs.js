// Which rung to fetch next: a pure function of the estimate (bits per second, 0 when nothing is
// measured yet), the seconds buffered ahead and the rungs (sorted by bandwidth, lowest first).
// Before any measurement, the lowest: the first segment measures the link.
function chooseRung(estimate, buffered, rungs, tuning) {
  if (!estimate) return 0;
  var margin = tuning.margins.find(m => buffered < m.below).use, pick = 0;
  for (var i = 0; i < rungs.length; i++) if (rungs[i].bw <= estimate * margin) pick = i;
  return pick;
}

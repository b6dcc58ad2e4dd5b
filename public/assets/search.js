// Search without a server: loads search/index.json (written by `vlog build`) on first use and
// shows results as you type: every word must start a word of the title, category, description or
// what is said in the video (the transcript, through the index's inverted word list); titles count most. Matches are highlighted; arrow
// keys move between the box and the results.
(function () {
"use strict";
var d = document, box = d.querySelector("[data-search]");
if (!box) return;
var input = box.querySelector("input"), list = box.querySelector("ol"), status = box.querySelector("[role=status]");
var index = null, loading = null, spoken = {}, dict = [];
// The videos whose description or transcript has a word starting with `w` (binary search in the
// sorted words, then every word with that prefix).
function said(w) {
  var lo = 0, hi = dict.length, out = new Set();
  while (lo < hi) { var mid = (lo + hi) >> 1; if (dict[mid] < w) lo = mid + 1; else hi = mid; }
  for (var i = lo; i < dict.length && dict[i].startsWith(w); i++) spoken[dict[i]].split(" ").forEach(n => out.add(parseInt(n, 36)));
  return out;
}
function fold(s) { return s.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, ""); }
function words(s) { return " " + fold(s).replace(/[^\p{L}\p{N}]+/gu, " ") + " "; }
function load() {
  if (!loading) {
    status.textContent = "Loading the index…";
    loading = fetch(box.getAttribute("data-index")).then(r => r.json()).then(j => {
      index = j.videos.map(v => ({ url: v[0], title: v[1], category: v[2], summary: v[3],
        fields: [words(v[1]), words(v[2]), words(v[3])] }));
      spoken = j.words;
      dict = Object.keys(spoken).sort();
    });
  }
  return loading;
}
function escape(s) { return s.replace(/[&<>"]/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]); }
function mark(text, qs) {
  var out = escape(text);
  qs.forEach(q => { out = out.replace(new RegExp("(^|[^\\p{L}\\p{N}])(" + q.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + ")", "giu"), "$1<mark>$2</mark>"); });
  return out;
}
function find(q) {
  var qs = fold(q).split(/[^\p{L}\p{N}]+/u).filter(Boolean), hits = [];
  if (!qs.length) return { qs: qs, hits: hits };
  var sets = qs.map(said);
  index.forEach((v, n) => {
    var score = 0, inSpeech = false;
    for (var k = 0; k < qs.length; k++) {
      var best = 0, w = qs[k];
      [8, 4, 2].forEach((weight, i) => { if (weight > best && v.fields[i].indexOf(" " + w) >= 0) best = weight; });
      if (!best && sets[k].has(n)) { best = 1; inSpeech = true; }
      if (!best) return;
      score += best;
    }
    hits.push({ v: v, score: score, spoken: inSpeech });
  });
  hits.sort((a, b) => b.score - a.score);
  return { qs: qs, hits: hits.slice(0, 50) };
}
function show() {
  var q = input.value.trim(), r = find(q);
  list.innerHTML = r.hits.map(h => '<li><a href="' + escape(h.v.url) + '">' + mark(h.v.title, r.qs) + "</a>" +
    (h.v.category ? ' <span class="meta">' + escape(h.v.category) + "</span>" : "") +
    "<p>" + mark(h.v.summary, r.qs) + (h.spoken ? ' <span class="meta">(said in the video)</span>' : "") + "</p></li>").join("");
  status.textContent = q ? r.hits.length + (r.hits.length === 1 ? " video" : " videos") + " for “" + q + "”" : "";
  history.replaceState(null, "", q ? "?q=" + encodeURIComponent(q) : location.pathname);
}
input.addEventListener("input", () => load().then(show));
input.addEventListener("focus", load, { once: true });
box.querySelector("form").addEventListener("submit", e => { e.preventDefault(); load().then(show); });
box.addEventListener("keydown", e => {
  var links = Array.from(list.querySelectorAll("a")), i = links.indexOf(d.activeElement);
  if (e.key === "ArrowDown" && links.length) { e.preventDefault(); links[Math.min(links.length - 1, i + 1)].focus(); }
  else if (e.key === "ArrowUp" && i >= 0) { e.preventDefault(); i === 0 ? input.focus() : links[i - 1].focus(); }
  else if (e.key === "Escape") { input.focus(); }
});
var q = new URLSearchParams(location.search).get("q");
if (q) { input.value = q; load().then(show); }
})();

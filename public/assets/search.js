// Search without a server, as you type (docs/site.md, Search). The build writes a sharded index:
// search/index.json (the manifest: the first word of each shard and its file), search/w/*.json
// (runs of words, each with the videos that have it in the title, category, description or what
// is said) and search/r/*.json (what a result shows, per group of videos). A query fetches the
// manifest once, then only the shards its words fall in and the data of the results shown.
// Everything fetched stays in memory, so later keystrokes in the same shards answer at once.
// Every word of the query must start a word of the video; titles count most. Matches are
// highlighted; arrow keys move between the box and the results.
(function () {
"use strict";
var d = document, box = d.querySelector("[data-search]");
if (!box) return;
var input = box.querySelector("input"), list = box.querySelector("ol"), status = box.querySelector("[role=status]");
var indexURL = new URL(box.getAttribute("data-index"), location.href), dir = new URL(".", indexURL);
// Results per "More results"; shards a word may need before only whole words match it;
// the score of a match in the title, category, description and transcript.
var PAGE = 10, MAX_SHARDS = 4, WEIGHTS = [8, 4, 2, 1];
var manifest = null, loaded = new Map(), pending = new Map(), terms = new Map(), seq = 0, timer = 0, current = null;
var more = d.createElement("button");
more.type = "button"; more.className = "more"; more.textContent = "More results"; more.hidden = true;
list.after(more);

function json(url, fresh) {
  return fetch(url, fresh ? { cache: "no-cache" } : undefined).then(r => {
    if (!r.ok) throw new Error(r.status + " for " + url.pathname);
    return r.json();
  });
}
function getManifest(fresh) {
  if (!manifest || fresh) {
    manifest = json(indexURL, fresh).then(m => {
      if (m.v !== 3) throw new Error("this page does not read index version " + m.v);
      m.firsts = m.shards.map(s => s[0]);
      return m;
    });
    manifest.catch(() => { manifest = null; });
  }
  return manifest;
}
// A file of the index, fetched once: its name is a hash of its bytes, so a copy never goes stale.
function file(path) {
  if (loaded.has(path)) return Promise.resolve(loaded.get(path));
  if (!pending.has(path)) {
    pending.set(path, json(new URL(path, dir)).then(
      v => { loaded.set(path, v); pending.delete(path); return v; },
      e => { pending.delete(path); throw e; }));
  }
  return pending.get(path);
}
function fold(s) { return s.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, ""); }
// The first index whose value is above `w` (JavaScript compares UTF-16 units, as the build sorts).
function upper(a, w) {
  var lo = 0, hi = a.length;
  while (lo < hi) { var mid = (lo + hi) >> 1; if (a[mid] <= w) lo = mid + 1; else hi = mid; }
  return lo;
}
// The shards a query word needs: those its words-that-start-with-it fall in; when they spread
// over more than MAX_SHARDS (a word of one or two letters), the one shard holding the word itself,
// and only the whole word matches until more is typed.
function plan(m, t) {
  if (!m.shards.length) return { t: t, exact: false, paths: [] };
  var a = Math.max(0, upper(m.firsts, t) - 1), b = Math.max(a, upper(m.firsts, t + "\uffff") - 1);
  var exact = b - a + 1 > MAX_SHARDS, paths = [];
  for (var i = a; i <= (exact ? a : b); i++) paths.push("w/" + m.shards[i][1] + ".json");
  return { t: t, exact: exact, paths: paths };
}
// The videos a planned word matches: id -> its best field (0 title ... 3 transcript).
function matches(p) {
  var key = (p.exact ? "=" : "^") + p.t;
  if (terms.has(key)) return terms.get(key);
  var best = new Map();
  p.paths.forEach(path => {
    var shard = loaded.get(path), lo = 0, hi = shard.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (shard[mid][0] < p.t) lo = mid + 1; else hi = mid; }
    for (var i = lo; i < shard.length && shard[i][0].startsWith(p.t); i++) {
      var e = shard[i];
      if (p.exact && e[0] !== p.t) break;
      for (var f = 1; f < e.length; f++) {
        if (!e[f]) continue;
        var id = 0, gaps = e[f].split(" ");
        for (var g = 0; g < gaps.length; g++) {
          id += parseInt(gaps[g], 36);
          var b = best.get(id);
          if (b === undefined || f - 1 < b) best.set(id, f - 1);
        }
      }
    }
  });
  if (terms.size > 200) terms.clear();
  terms.set(key, best);
  return best;
}
// Videos that match every word, best first (then the newest).
function rank(ps) {
  var maps = ps.map(matches).sort((a, b) => a.size - b.size), hits = [];
  maps[0].forEach((first, id) => {
    var score = 0, spoken = false;
    for (var k = 0; k < maps.length; k++) {
      var f = k ? maps[k].get(id) : first;
      if (f === undefined) return;
      score += WEIGHTS[f];
      if (f === 3) spoken = true;
    }
    hits.push({ id: id, score: score, spoken: spoken });
  });
  return hits.sort((a, b) => b.score - a.score || b.id - a.id);
}
function escape(s) { return s.replace(/[&<>"]/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]); }
function mark(text, qs) {
  var out = escape(text);
  qs.forEach(q => { out = out.replace(new RegExp("(^|[^\\p{L}\\p{N}])(" + q.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + ")", "giu"), "$1<mark>$2</mark>"); });
  return out;
}
function groupPath(m, id) { return "r/" + m.groups[Math.floor(id / m.perGroup)] + ".json"; }
// Shows the first `upto` hits of the current answer, fetching their data first.
function render(my, upto) {
  var c = current, slice = c.hits.slice(0, upto);
  return Promise.all([...new Set(slice.map(h => groupPath(c.m, h.id)))].map(file)).then(() => {
    if (my !== seq) return;
    list.innerHTML = slice.map(h => {
      var v = loaded.get(groupPath(c.m, h.id))[h.id];
      return '<li><a href="' + escape(v[0]) + '">' + mark(v[1], c.qs) + "</a>" +
        (v[2] ? ' <span class="meta">' + escape(v[2]) + "</span>" : "") +
        "<p>" + mark(v[3], c.qs) + (h.spoken ? ' <span class="meta">(said in the video)</span>' : "") + "</p></li>";
    }).join("");
    c.shown = slice.length;
    more.hidden = c.shown >= c.hits.length;
    var n = c.hits.length;
    status.textContent = n + (n === 1 ? " video" : " videos") + " for “" + c.q + "”" + (c.whole.length
      ? " (whole words only for “" + c.whole.join("”, “") + "”: type more to match words that start with it)" : "");
  });
}
function search(wait, retried) {
  var my = ++seq, q = input.value.trim(), qs = fold(q).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  clearTimeout(timer);
  history.replaceState(null, "", q ? "?q=" + encodeURIComponent(q) : location.pathname);
  if (!qs.length) {
    list.innerHTML = ""; status.textContent = ""; more.hidden = true;
    return Promise.resolve();
  }
  return getManifest().then(m => {
    var ps = qs.map(t => plan(m, t)), need = [...new Set(ps.flatMap(p => p.paths))].filter(p => !loaded.has(p));
    var answer = () => {
      if (my !== seq) return;
      current = { q: q, qs: qs, m: m, hits: rank(ps), whole: ps.filter(p => p.exact).map(p => p.t), shown: 0 };
      return render(my, PAGE);
    };
    if (!need.length) return answer();
    status.textContent = "Searching…";
    // While typing, fetch only once the keys pause: a word's shards, not each prefix's.
    return new Promise(r => { timer = setTimeout(r, wait ? 120 : 0); })
      .then(() => my === seq && Promise.all(need.map(file)).then(answer));
  }).catch(e => {
    if (my !== seq) return;
    // A new build may have replaced the files this page's manifest names: read it again, once.
    if (!retried) return getManifest(true).then(() => search(false, true), () => search(false, true));
    status.textContent = "Search is unavailable (" + e.message + "); try again later.";
  });
}
input.addEventListener("input", () => search(true));
input.addEventListener("focus", () => getManifest().catch(() => {}), { once: true });
box.querySelector("form").addEventListener("submit", e => { e.preventDefault(); search(false); });
more.addEventListener("click", () => {
  var from = current ? current.shown : 0;
  if (current) render(seq, current.shown + PAGE).then(() => { var a = list.querySelectorAll("a")[from]; if (a) a.focus(); });
});
box.addEventListener("keydown", e => {
  var links = Array.from(list.querySelectorAll("a")), i = links.indexOf(d.activeElement);
  if (e.key === "ArrowDown" && links.length) { e.preventDefault(); links[Math.min(links.length - 1, i + 1)].focus(); }
  else if (e.key === "ArrowUp" && i >= 0) { e.preventDefault(); i === 0 ? input.focus() : links[i - 1].focus(); }
  else if (e.key === "Escape") { input.focus(); }
});
var q = new URLSearchParams(location.search).get("q");
if (q) { input.value = q; search(false); }
})();

// Small helpers every unit uses.
var d = document;
function on(t, e, f, o) { t.addEventListener(e, f, o); }
function attr(e, k, v) { e.setAttribute(k, v); }
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
  return [...b].map(x => x.toString(16).padStart(2, "0")).join("");
}
// `?t=90`, `#t=1m30s`, `#t=1h2m3s`.
function startTime() {
  var m = /[?&#]t=([0-9hms.]+)/.exec(location.search + location.hash);
  if (!m) return 0;
  if (/^[0-9.]+$/.test(m[1])) return parseFloat(m[1]);
  var p = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(m[1]);
  return p ? (+p[1] || 0) * 3600 + (+p[2] || 0) * 60 + (+p[3] || 0) : 0;
}

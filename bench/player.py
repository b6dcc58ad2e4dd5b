"""Drives headless Chromium over the DevTools protocol for bench/player: vlog's player (MSE) and
Chromium's native HLS (the same page with MediaSource removed) on the same site.
Usage: player.py URL RUNS THROTTLE_KBPS"""
import json, os, shutil, statistics, subprocess, sys, tempfile, time, urllib.request
import websocket

URL, RUNS, THROTTLE = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

# In the page: time to first frame from play(), and a sample of the rung and stalls every 250 ms.
PROBE = """
(() => { const v = document.querySelector('video'); window.__b = {heights: {}, switches: 0, stalled: 0, last: 0};
  const t0 = performance.now(); let waitFrom = null;
  v.addEventListener('resize', () => { if (__b.last && v.videoHeight !== __b.last) __b.switches++; __b.last = v.videoHeight; });
  v.addEventListener('waiting', () => { if (__b.ttff) waitFrom = performance.now(); });
  v.addEventListener('playing', () => { if (waitFrom) { __b.stalled += performance.now() - waitFrom; waitFrom = null; } });
  const frame = () => { __b.ttff = performance.now() - t0; };
  v.requestVideoFrameCallback ? v.requestVideoFrameCallback(frame) : v.addEventListener('playing', frame, {once: true});
  setInterval(() => { if (!v.paused && v.videoHeight) __b.heights[v.videoHeight] = (__b.heights[v.videoHeight] || 0) + 1; }, 250);
  return v.play().then(() => 1, e => String(e)); })()
"""


class Page:
    def __init__(self, native):
        self.profile = tempfile.mkdtemp(prefix="vlog-bench-")
        self.proc = subprocess.Popen(
            ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--mute-audio",
             "--autoplay-policy=no-user-gesture-required", "--remote-debugging-port=0",
             "--user-data-dir=" + self.profile, "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        for _ in range(100):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.1)
        port = int(open(port_file).read().split()[0])
        pages = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        self.ws = websocket.create_connection([p for p in pages if p["type"] == "page"][0]["webSocketDebuggerUrl"])
        self.id = 0
        self.call("Page.enable")
        self.call("Network.enable")
        self.call("Network.setCacheDisabled", {"cacheDisabled": True})
        if native:
            self.call("Page.addScriptToEvaluateOnNewDocument",
                      {"source": "delete window.MediaSource; delete window.ManagedMediaSource;"})

    def call(self, method, params=None):
        self.id += 1
        self.ws.send(json.dumps({"id": self.id, "method": method, "params": params or {}}))
        while True:
            r = json.loads(self.ws.recv())
            if r.get("id") == self.id:
                return r.get("result", {})

    def eval(self, js):
        r = self.call("Runtime.evaluate", {"expression": js, "awaitPromise": True, "returnByValue": True})
        return r.get("result", {}).get("value")

    def throttle(self, kbps):
        self.call("Network.emulateNetworkConditions", {
            "offline": False, "latency": 40 if kbps else 0,
            "downloadThroughput": kbps * 125 if kbps else -1, "uploadThroughput": kbps * 125 if kbps else -1})

    def close(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def session(native, link_kbps):
    p = Page(native)
    try:
        p.throttle(link_kbps)
        p.call("Page.navigate", {"url": URL})
        for _ in range(100):
            if p.eval("document.readyState") == "complete":
                break
            time.sleep(0.1)
        mode = p.eval("document.querySelector('.player').dataset.mode")
        p.eval(PROBE)
        time.sleep(10)
        ttff = p.eval("__b.ttff")
        p.throttle(THROTTLE)
        time.sleep(25)
        p.throttle(link_kbps)
        time.sleep(15)
        b = p.eval("__b")
        total = sum(b["heights"].values()) or 1
        mix = " ".join(f"{h}p {100 * n / total:.0f}%" for h, n in sorted(b["heights"].items(), key=lambda x: -int(x[0])))
        return mode, ttff, b["switches"], b["stalled"] / 1000, mix
    finally:
        p.close()


print(f"\n{'player':<26} {'link':<14} {'first frame (median)':>20} {'switches':>9} {'stalled':>8}  rungs played (50 s; "
      f"{THROTTLE} kbit/s from 10 s to 35 s)")
for link in (0, 8000):
    for native in (False, True):
        runs = [session(native, link) for _ in range(RUNS)]
        label = "Chromium native HLS" if native else "vlog player (MSE)"
        assert all(r[0] == ("native" if native else "mse") for r in runs), runs
        ttffs = [r[1] for r in runs if r[1] is not None]
        print(f"{label:<26} {('no limit' if not link else f'{link} kbit/s'):<14} "
              f"{statistics.median(ttffs) if ttffs else float('nan'):>17.0f} ms "
              f"{statistics.median(r[2] for r in runs):>9.0f} {statistics.median(r[3] for r in runs):>7.1f}s  {runs[len(runs) // 2][4]}")

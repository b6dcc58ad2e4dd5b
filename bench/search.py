"""bench/search in headless Chromium: index load time, and keystroke-to-results time for a
title word, a transcript word and a two-word query (median of 5 each).
Usage: search.py URL TRANSCRIPT_WORD"""
import json, os, shutil, statistics, subprocess, sys, tempfile, time, urllib.request
import websocket

URL, WORD = sys.argv[1], sys.argv[2]
profile = tempfile.mkdtemp(prefix="vlog-search-")
proc = subprocess.Popen(["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
                         "--user-data-dir=" + profile, "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    pf = os.path.join(profile, "DevToolsActivePort")
    for _ in range(100):
        if os.path.exists(pf) and open(pf).read().strip():
            break
        time.sleep(0.1)
    port = int(open(pf).read().split()[0])
    page = [p for p in json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list")) if p["type"] == "page"][0]
    ws = websocket.create_connection(page["webSocketDebuggerUrl"])
    n = [0]
    def call(m, p=None):
        n[0] += 1
        ws.send(json.dumps({"id": n[0], "method": m, "params": p or {}}))
        while True:
            r = json.loads(ws.recv())
            if r.get("id") == n[0]:
                return r.get("result", {})
    def ev(js):
        return call("Runtime.evaluate", {"expression": js, "awaitPromise": True, "returnByValue": True}).get("result", {}).get("value")
    call("Page.enable")
    call("Page.navigate", {"url": URL})
    for _ in range(100):
        if ev("document.readyState") == "complete":
            break
        time.sleep(0.1)
    load = ev("""(async () => { const t0 = performance.now(); const i = document.getElementById('q');
        i.focus(); i.value = 'x'; i.dispatchEvent(new Event('input'));
        while (!document.querySelector('[role=status]').textContent.includes('for')) await new Promise(r => setTimeout(r, 5));
        return performance.now() - t0; })()""")
    print(f"index load and first results (cold): {load:.0f} ms")
    for q in ("summit", WORD, "alpine river"):
        times = []
        for _ in range(5):
            times.append(ev(f"""(() => {{ const i = document.getElementById('q'); const t0 = performance.now();
                i.value = {json.dumps(q)}; i.dispatchEvent(new Event('input'));
                return new Promise(r => setTimeout(() => r(performance.now() - t0), 0)); }})()"""))
        count = ev("document.querySelectorAll('.results li').length")
        print(f"query {q!r:>16}: results in {statistics.median(times):.1f} ms (median of 5), {count} shown")
finally:
    proc.kill()
    shutil.rmtree(profile, ignore_errors=True)

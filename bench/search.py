"""bench/search in headless Chromium (DevTools protocol): what a visitor pays for a search, vlog's
sharded index against Pagefind on the same built site.
Cold: a new visitor (empty cache) on the search page types a query; the time is from the input
event to the results on screen (vlog: its list and count; Pagefind: `search()` plus the data of
the 5 results its UI shows first) and the bytes are what nginx sent (its access log's
$bytes_sent: headers and gzipped bodies, requests from workers too).
Warm: more queries in the same page, in the shards already fetched.
The throttled runs go through bench/throttle.py (1.6 Mbit/s, 150 ms), at SLOW_ORIGIN.
Usage: search.py ORIGIN SLOW_ORIGIN ACCESS_LOG WORD WORD_VIDEOS WORD_PREFIX_VIDEOS COMMON_WORD [pagefind]"""
import json, os, shutil, statistics, subprocess, sys, tempfile, time, urllib.request
import websocket

ORIGIN, SLOW, LOG, WORD, COMMON = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[7]
EXACT, PREFIX = int(sys.argv[5]), int(sys.argv[6])
PAGEFIND = len(sys.argv) > 8 and sys.argv[8] == "1"
RUNS = int(os.environ.get("RUNS", "3"))

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
    ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=600)
    n = [0]

    def call(m, p=None):
        n[0] += 1
        ws.send(json.dumps({"id": n[0], "method": m, "params": p or {}}))
        while True:
            r = json.loads(ws.recv())
            if r.get("id") == n[0]:
                if "error" in r:
                    raise RuntimeError(f"{m}: {r['error']}")
                return r.get("result", {})

    def ev(js):
        r = call("Runtime.evaluate", {"expression": js, "awaitPromise": True, "returnByValue": True})
        if "exceptionDetails" in r:
            raise RuntimeError(f"{js[:80]}: {r['exceptionDetails']}")
        return r.get("result", {}).get("value")

    call("Page.enable")
    call("Network.enable")

    def fresh(origin):
        """A new visitor on the search page: empty cache, no open connections."""
        call("Network.clearBrowserCache")
        call("Page.navigate", {"url": "about:blank"})
        time.sleep(0.2)
        call("Page.navigate", {"url": origin + "/search/"})
        # Up to a minute: after Pagefind's indexing (6 GB) the page cache is cold.
        for _ in range(1200):
            if ev("location.pathname === '/search/' && document.readyState === 'complete' && !!document.querySelector('[role=status]')"):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"the search page at {origin}/search/ did not load within a minute")
        time.sleep(0.3)  # the page's own requests are done

    mark = [0]

    def start():
        mark[0] = os.path.getsize(LOG)

    def spent():
        """Bytes and requests nginx logged since start()."""
        time.sleep(0.05)
        with open(LOG, "rb") as f:
            f.seek(mark[0])
            lines = f.read().decode().splitlines()
        return sum(int(l.split(" ")[0]) for l in lines), len(lines)

    def vlog(q):
        """Types q into vlog's search box; returns (ms, bytes, requests, count shown in the status)."""
        start()
        ms = ev(f"""new Promise(done => {{ const s = document.querySelector('[role=status]'), i = document.getElementById('q');
            const q = {json.dumps(q)}, t0 = performance.now();
            const check = () => {{ if (s.textContent.includes('for “' + q + '”')) {{ o.disconnect(); done(performance.now() - t0); }} }};
            const o = new MutationObserver(check); o.observe(s, {{ childList: true, characterData: true, subtree: true }});
            i.value = q; i.dispatchEvent(new Event('input')); check(); }})""")
        sent, requests = spent()
        count = int(ev("document.querySelector('[role=status]').textContent.split(' ')[0]"))
        return ms, sent, requests, count

    def pagefind(q):
        start()
        ms, count = ev(f"""(async () => {{ const t0 = performance.now();
            window.pf = window.pf || await import('/pagefind/pagefind.js');
            const r = await pf.search({json.dumps(q)});
            await Promise.all(r.results.slice(0, 5).map(x => x.data()));
            return [performance.now() - t0, r.results.length]; }})()""")
        sent, requests = spent()
        return ms, sent, requests, count

    def row(label, samples):
        ms = statistics.median(s[0] for s in samples)
        kb = statistics.median(s[1] for s in samples) / 1000
        req = statistics.median(s[2] for s in samples)
        print(f"  {label:<44} {ms:9.0f} ms {kb:9.1f} KB {req:5.0f} requests   {samples[0][3]} found")

    engines = [("vlog", vlog)] + ([("pagefind", pagefind)] if PAGEFIND else [])
    queries = [(WORD, f"word said in {EXACT} videos ({PREFIX} by prefix)"), ("summit", "title word"),
               ("alpine river", "two title words")]
    for name, run in engines:
        print(f"{name}: cold visitor, first query (median of {RUNS})")
        for cname, origin in (("localhost", ORIGIN), ("1.6 Mbit/s, 150 ms", SLOW)):
            for q, what in queries:
                samples = []
                for _ in range(RUNS):
                    fresh(origin)
                    samples.append(run(q))
                row(f"{cname}: {q!r} ({what})", samples)
        print(f"{name}: warm, later queries in the same page (localhost)")
        fresh(ORIGIN)
        run(WORD)
        warm = [WORD[:-1], WORD, WORD[:-2], WORD, WORD + " " + "summit", COMMON, WORD]
        samples = [run(q) for q in warm for _ in range(1)]
        row(f"{len(warm)} keystroke queries around {WORD!r}", samples)
        for q, s in zip(warm, samples):
            print(f"    {q!r:<28} {s[0]:7.1f} ms {s[1] / 1000:8.1f} KB  {s[3]} found")
finally:
    proc.kill()
    shutil.rmtree(profile, ignore_errors=True)

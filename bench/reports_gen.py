#!/usr/bin/env python3
"""The reports benchmark's site (bench/reports): SESSIONS playback sessions of VIDEOS videos over DAYS
days ending at END (YYYY-MM-DD, UTC) from SESSIONS/10 viewers, written straight into the database
of a site made by `vlog init`. A video's share falls as 1/rank (a few popular, many quiet), a
viewer's as 1/rank^0.7 (viewers return); a quarter of the sessions are measured by the player.
    bench/reports_gen.py DB SESSIONS VIDEOS DAYS END"""
import datetime, itertools, json, random, sqlite3, sys
path, n, videos, days, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
random.seed(7)
db = sqlite3.connect(path)
db.execute("PRAGMA synchronous = OFF")
db.executemany("INSERT INTO categories (id, name, slug, created_at) VALUES (?, ?, ?, datetime('now'))",
               [(c, f"Category {c}", f"category-{c}") for c in range(1, 101)])
durations = [60 + (i * 37) % 3540 for i in range(1, videos + 1)]
db.executemany("""INSERT INTO videos (id, title, slug, category_id, duration, status, created_at, published_at, deleted_at)
                  VALUES (?, ?, ?, ?, ?, 'ready', '2025-01-01 00:00:00', '2025-01-02 00:00:00', '2025-06-01 00:00:00')""",
               [(i, f"Video {i}", f"video-{i}", 1 + i % 100, durations[i - 1]) for i in range(1, videos + 1)])
viewers = max(1, n // 10)
db.executemany("INSERT INTO viewers (id, session_id, first_seen, last_seen) VALUES (?, ?, '2025-01-01 00:00:00', '2025-01-01 00:00:00')",
               ((i, f"v{i:x}") for i in range(1, viewers + 1)))
vw = list(itertools.accumulate(1 / r for r in range(1, videos + 1)))
pw = list(itertools.accumulate(1 / r ** 0.7 for r in range(1, viewers + 1)))
t_end = datetime.datetime.fromisoformat(end).replace(tzinfo=datetime.timezone.utc).timestamp()
t0 = t_end - days * 86400
qualities = ["1080p", "720p", "480p", "360p"]
def sessions():
    for i in range(1, n + 1):
        v = random.choices(range(1, videos + 1), cum_weights=vw)[0]
        d = durations[v - 1]
        start = t0 + random.random() * days * 86400
        frac = min(1.0, random.expovariate(2.5))
        watched = round(d * frac, 1)
        q = random.choice(qualities)
        player = i % 4 == 0
        yield (i, v, random.choices(range(1, viewers + 1), cum_weights=pw)[0], ("p" if player else "e") + f"{i:023x}",
               datetime.datetime.fromtimestamp(start, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
               datetime.datetime.fromtimestamp(start + watched, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
               watched, watched, q, 1 if frac >= 0.9 else 0, player)
measures, intervals = [], []
def rows():
    for s in sessions():
        if s[10]:
            measures.append((s[3], random.randint(300, 3000), random.choice([0, 0, 0, 1, 2]), random.randint(0, 4000),
                             json.dumps({s[8]: s[6]}), s[1]))
            intervals.append((s[3], json.dumps([[0, s[7]]])))
        yield s[:10]
batch = 200000
it = rows()
while True:
    chunk = list(itertools.islice(it, batch))
    if not chunk:
        break
    db.executemany("""INSERT INTO playback_sessions (id, video_id, viewer_id, session_token, started_at, ended_at,
                      duration_watched, max_position, quality_used, completed) VALUES (?,?,?,?,?,?,?,?,?,?)""", chunk)
    db.executemany("""INSERT INTO vlog_session_measures (session_token, kind, started, startup_ms, rebuffers, rebuffer_ms,
                      failed, rung_seconds, video_id) VALUES (?, 'player', 1, ?, ?, ?, 0, ?, ?)""", measures)
    db.executemany("INSERT INTO vlog_session_intervals (session_token, intervals) VALUES (?, ?)", intervals)
    measures.clear(); intervals.clear()
    db.commit()

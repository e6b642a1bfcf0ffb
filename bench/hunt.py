#!/usr/bin/env python3
"""make bench (hunt part): every built-in hunt over a store of BENCH_HUNT_SESSIONS sessions.

The store is the generator's small-session mix (BENCH_HUNT_SESSIONS, default 1,000,000, over
72 h) plus the hunt scenario (its planted threats) ingested on top, built once and cached in
bench/data/.  Each hunt runs alone (`konseki hunt run NAME`, median of BENCH_RUNS wall times)
under /usr/bin/time for its peak memory; then `konseki report` (every hunt, coverage measured
once).  Prints a Markdown table for the README.  Run on a quiet machine: the figures are wall
times on whatever else the machine is doing.
"""
import json, os, re, shutil, statistics, subprocess, sys, time

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KONSEKI = os.path.join(ROOT, BUILD, "konseki")
GEN = os.path.join(ROOT, BUILD, "konseki-gen")
DATA = os.environ.get("BENCH_DIR", os.path.join(ROOT, "bench", "data"))
SESSIONS = int(os.environ.get("BENCH_HUNT_SESSIONS", "1000000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        sys.exit("bench: %s failed: %s" % (" ".join(cmd[:4]), p.stderr.strip()[-400:]))
    return p


def store():
    d = os.path.join(DATA, "hunt-store-%d" % SESSIONS)
    done = os.path.join(d, ".complete")
    if os.path.exists(done):
        return d
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(DATA, exist_ok=True)
    print("bench: building a store of %d sessions + the hunt scenario (once) …" % SESSIONS,
          file=sys.stderr)
    gen = subprocess.Popen([GEN, "--seed", "11", "--mix", "small", "--sessions", str(SESSIONS),
                            "--start", "2024-03-04T00:00:00Z", "--duration", "72h", "-o", "-"],
                           stdout=subprocess.PIPE)
    run([KONSEKI, "ingest", "-q", "--store", d, "-"], stdin=gen.stdout)
    if gen.wait() != 0:
        sys.exit("bench: the generator failed")
    hp = os.path.join(DATA, "hunt-scenario.pcap")
    run([GEN, "--scenario", "hunt", "--seed", "1", "-o", hp])
    run([KONSEKI, "ingest", "-q", "--store", d, hp])
    os.unlink(hp)
    open(done, "w").close()
    return d


def timed(cmd):
    """(median wall seconds, max peak RSS in MiB, last stdout) over RUNS runs."""
    walls, rss, out = [], [], ""
    for _ in range(RUNS):
        t0 = time.monotonic()
        p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True)
        walls.append(time.monotonic() - t0)
        if p.returncode != 0:
            sys.exit("bench: %s failed: %s" % (" ".join(cmd[:5]), p.stderr.strip()[-400:]))
        rss.append(int(p.stderr.strip().splitlines()[-1]) / 1024)
        out = p.stdout
    return statistics.median(walls), max(rss), out


def main():
    if not os.path.exists("/usr/bin/time"):
        sys.exit("bench: /usr/bin/time is needed (Debian package time)")
    d = store()
    names = [json.loads(l)["name"] for l in run([KONSEKI, "hunt", "list", "--json"]).stdout
             .splitlines()]
    cov = json.loads(run([KONSEKI, "hunt", "run", "long-conn", "--store", d, "--json"]).stdout
                     .splitlines()[-1])["hunt"]["run"]["coverage"]
    print("\n%s sessions over %d days (the mix + the hunt scenario), median of %d runs:\n"
          % (format(cov["sessions"], ","), cov["days"], RUNS))
    print("| hunt | seconds | peak memory | results |")
    print("|---|---:|---:|---:|")
    for n in names:
        secs, mib, out = timed([KONSEKI, "hunt", "run", n, "--store", d, "--json"])
        res = json.loads(out.splitlines()[-1])["hunt"]["run"]["results"]
        print("| %s | %.2f | %.0f MiB | %d |" % (n, secs, mib, res))
    rep = os.path.join(DATA, "bench-report.html")
    secs, mib, _ = timed([KONSEKI, "report", "--store", d, "-o", rep])
    print("| `konseki report` (all %d hunts, charts, IOC findings) | %.2f | %.0f MiB | |"
          % (len(names), secs, mib))


if __name__ == "__main__":
    main()

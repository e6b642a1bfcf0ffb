#!/usr/bin/env python3
"""make bench (IOC part): retro-match 10,000 and 100,000 mixed indicators over stored sessions.

Generates a small-session mix with the project's generator (BENCH_IOC_SESSIONS sessions, default
1,000,000; the issue asks for 10 million: set BENCH_IOC_SESSIONS=10000000, ~19 GB of pcap),
ingests it once (cached in bench/data/), then in one run:
  konseki ioc import     a fresh ioc.db each time: import + sweep of the whole history; the
                         sweep's own seconds come from its summary line
  tshark -Y              rescanning the same pcap for the set's domains (DNS question or SNI)
  tcpdump BPF            rescanning it for the set's addresses (`host A or host B …`)
The sets mix domains, addresses, /24 networks, MD5 and SHA-256 hashes; 20 values (10 names,
5 outside addresses, 5 file hashes) are taken from the traffic so the sweep finds something.  Prints a Markdown table for the README.
"""
import json, os, random, re, shutil, subprocess, sys, time

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KONSEKI = os.path.join(ROOT, BUILD, "konseki")
GEN = os.path.join(ROOT, BUILD, "konseki-gen")
DATA = os.environ.get("BENCH_DIR", os.path.join(ROOT, "bench", "data"))
SESSIONS = int(os.environ.get("BENCH_IOC_SESSIONS", "1000000"))
TSHARK_DOMAINS = int(os.environ.get("BENCH_TSHARK_DOMAINS", "1000"))
TCPDUMP_HOSTS = int(os.environ.get("BENCH_TCPDUMP_HOSTS", "500"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))  # konseki runs per set: the median is shown


def timed(cmd, **kw):
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd[:4])} … failed: {p.stderr.strip()[-400:]}")
    return dt, p.stdout


def sample_traffic(store):
    """Values that occur in the stored traffic: (domains, addresses, md5/sha256 file hashes)."""
    out = subprocess.run([KONSEKI, "query", "--store", store, "--json", "--limit", "20000"],
                         capture_output=True, text=True, check=True).stdout
    names, ips, hashes = set(), set(), set()
    for line in out.splitlines():
        r = json.loads(line)
        ips.add(r["destination"]["ip"])
        for rec in r.get("records", []):
            q = rec.get("dns", {}).get("question", {}).get("name")
            if q:
                names.add(q)
            h = rec.get("file", {}).get("hash", {}).get("sha256")
            if h:
                hashes.add(h if isinstance(h, str) else h[0])
    return sorted(names), sorted(ips), sorted(hashes)


def make_set(n, real, rng):
    names, ips, hashes = real
    # a few values from the traffic (the generator's world is small: one name is in thousands
    # of sessions); outside addresses only, an internal DNS server is in every other session
    ips = [a for a in ips if not re.match(r"(10|192\.168|172\.(1[6-9]|2\d|3[01]))\.|.*:", a)]
    vals = rng.sample(names, min(len(names), 10)) + rng.sample(ips, min(len(ips), 5))
    vals += rng.sample(hashes, min(len(hashes), 5))
    while len(vals) < n:
        r = rng.random()
        if r < 0.40:
            vals.append("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(10)) +
                        rng.choice([".com", ".net", ".io", ".xyz"]))
        elif r < 0.70:
            vals.append(".".join(str(rng.randrange(1, 224)) for _ in range(4)))
        elif r < 0.75:
            vals.append("%d.%d.%d.0/24" % (rng.randrange(1, 224), rng.randrange(256),
                                           rng.randrange(256)))
        elif r < 0.85:
            vals.append("%032x" % rng.getrandbits(128))
        else:
            vals.append("%064x" % rng.getrandbits(256))
    return vals[:n]


def main():
    os.makedirs(DATA, exist_ok=True)
    pcap = os.path.join(DATA, f"ioc-mix-{SESSIONS}.pcap")
    store = os.path.join(DATA, f"ioc-store-{SESSIONS}")
    if not os.path.exists(pcap):
        subprocess.run([GEN, "--seed", "5", "--mix", "small", "--sessions", str(SESSIONS),
                        "--duration", "72h", "-o", pcap], check=True)
    if not os.path.exists(os.path.join(store, "catalog.db")):
        shutil.rmtree(store, ignore_errors=True)
        subprocess.run([KONSEKI, "ingest", "-q", "--store", store, pcap], check=True)
    size = os.path.getsize(pcap)
    rng = random.Random(20261125)
    for f in os.listdir(store):
        if f.startswith("ioc.db"):
            os.unlink(os.path.join(store, f))
    real = sample_traffic(store)
    rows = []
    for n in (10000, 100000):
        vals = make_set(n, real, rng)
        lst = os.path.join(DATA, f"ioc-set-{n}.txt")
        with open(lst, "w") as f:
            f.write("\n".join(vals) + "\n")
        runs = []
        for _ in range(RUNS):
            for f in os.listdir(store):
                if f.startswith("ioc.db"):
                    os.unlink(os.path.join(store, f))
            total, out = timed([KONSEKI, "ioc", "import", "--store", store, "--source",
                                f"bench{n}", lst])
            m = re.search(r"\(([\d,]+) sessions, ([\d,]+) values read\) in ([\d.]+) s: "
                          r"([\d,]+) findings .* in ([\d,]+) sessions", out)
            if not m:
                sys.exit("bench: no sweep line in: " + out)
            runs.append((float(m.group(3)), total, m))
        runs.sort(key=lambda r: r[0])
        secs, total, m = runs[len(runs) // 2]
        scanned = int(m.group(1).replace(",", ""))
        rows.append((f"konseki ioc import ({n:,} IOCs: import + sweep)", total, SESSIONS / total))
        rows.append((f"  of which the sweep ({m.group(4)} findings in {m.group(5)} sessions)",
                     secs, SESSIONS / secs))
        if n == 10000:
            domains = [v for v in vals if re.search(r"[a-z]", v) and "/" not in v and
                       not re.fullmatch(r"[0-9a-f]{32}|[0-9a-f]{64}", v)][:TSHARK_DOMAINS]
            addrs = [v for v in vals if re.fullmatch(r"[\d.]+", v)][:TCPDUMP_HOSTS]
            flt = ", ".join('"%s"' % d for d in domains)
            tdt, _ = timed(["tshark", "-n", "-r", pcap, "-Y",
                            "dns.qry.name in {%s} || tls.handshake.extensions_server_name in {%s}"
                            % (flt, flt)])
            rows.append((f"tshark -Y ({len(domains):,} domains, exact names only)", tdt,
                         SESSIONS / tdt))
            bpf = " or ".join("host " + a for a in addrs)
            bdt, _ = timed(["tcpdump", "-n", "-r", pcap, "-w", "/dev/null", bpf])
            rows.append((f"tcpdump BPF ({len(addrs):,} addresses)", bdt, SESSIONS / bdt))
    print(f"\nIOC retro-match over {SESSIONS:,} stored sessions "
          f"({size / 1e9:.2f} GB of pcap, {scanned:,} session pieces scanned):\n")
    print("| run | seconds | sessions/s |")
    print("|---|---:|---:|")
    for name, s, r in rows:
        print(f"| {name} | {s:.2f} | {r:,.0f} |")


if __name__ == "__main__":
    main()

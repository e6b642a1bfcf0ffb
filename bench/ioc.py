#!/usr/bin/env python3
"""make bench (IOC part): retro-match 10,000 and 100,000 mixed indicators over stored sessions.

Generates a small-session mix with the project's generator (BENCH_IOC_SESSIONS sessions, default
1,000,000; the issue asks for 10 million: set BENCH_IOC_SESSIONS=10000000, ~19 GB of pcap),
ingests it once (cached in bench/data/), then in one run:
  konseki ioc import     a fresh ioc.db each time: import + sweep of the whole history; the
                         sweep's own seconds come from its summary line (median of BENCH_RUNS)
  tshark -Y              rescanning the same pcap for the same 10,000 set, as far as a display
                         filter can say it: every name (exact: tshark has no suffix match that
                         takes thousands of names) as DNS question, CNAME, TLS SNI or HTTP host,
                         every address and network as an IP endpoint or DNS A answer; the sets
                         go in through display filter macros (a 250 KB -Y argument is too long
                         for execve); file hashes cannot be said at all
  tcpdump BPF            the set's addresses and networks (`host A or … or net N/24`): the first
                         BENCH_TCPDUMP_HOSTS (500) over the whole pcap, and all of them over the
                         first BENCH_TCPDUMP_SLICE_MB (100) MB with the optimizer off (-O: with
                         it, compiling 3,500 terms did not finish in 5 minutes), scaled to the
                         whole file by bytes
The sets mix domains, addresses, /24 networks, MD5 and SHA-256 hashes; 20 values (10 names,
5 outside addresses, 5 file hashes) are taken from the traffic so the sweep finds something.
BENCH_TSHARK=0 skips tshark (its run takes minutes).  Prints a Markdown table for the README.
"""
import json, os, random, re, shutil, subprocess, sys, time

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KONSEKI = os.path.join(ROOT, BUILD, "konseki")
GEN = os.path.join(ROOT, BUILD, "konseki-gen")
DATA = os.environ.get("BENCH_DIR", os.path.join(ROOT, "bench", "data"))
SESSIONS = int(os.environ.get("BENCH_IOC_SESSIONS", "1000000"))
TSHARK = os.environ.get("BENCH_TSHARK", "1") != "0"
TCPDUMP_HOSTS = int(os.environ.get("BENCH_TCPDUMP_HOSTS", "500"))
TCPDUMP_SLICE = int(os.environ.get("BENCH_TCPDUMP_SLICE_MB", "100")) * 1000000
RUNS = int(os.environ.get("BENCH_RUNS", "3"))  # konseki runs per set: the median is shown


def timed(cmd, ok=(0,), **kw):
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    dt = time.monotonic() - t0
    if p.returncode not in ok:
        sys.exit(f"bench: {' '.join(cmd[:4])} … failed: {p.stderr.strip()[-400:]}")
    return dt, p.stdout


def kinds(vals):
    """The set split as a rescan sees it: (names, addresses and networks, hashes)."""
    hashes = [v for v in vals if re.fullmatch(r"[0-9a-f]{32}|[0-9a-f]{64}", v)]
    addrs = [v for v in vals if re.fullmatch(r"[\d.]+(/\d+)?", v)]
    names = [v for v in vals if v not in set(hashes) | set(addrs)]
    return names, addrs, hashes


def pcap_slice(pcap, nbytes):
    """The first whole records of pcap up to nbytes, as a file of its own (classic pcap)."""
    base = os.path.basename(pcap).rsplit(".", 1)[0]
    out = os.path.join(DATA, f"{base}-first-{nbytes // 1000000}MB.pcap")
    if os.path.exists(out):
        return out
    import struct
    with open(pcap, "rb") as f, open(out + ".tmp", "wb") as o:
        hdr = f.read(24)
        endian = "<" if hdr[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        o.write(hdr)
        n = 24
        while n < nbytes:
            rec = f.read(16)
            if len(rec) < 16:
                break
            caplen = struct.unpack(endian + "IIII", rec)[2]
            o.write(rec + f.read(caplen))
            n += 16 + caplen
    os.rename(out + ".tmp", out)
    return out


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
    rows, ratios = [], []
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
            m = re.search(r"\(([\d,]+) session entries, ([\d,]+) values read\) in ([\d.]+) s: "
                          r"([\d,]+) findings .* in ([\d,]+) sessions", out)
            if not m:
                sys.exit("bench: no sweep line in: " + out)
            runs.append((float(m.group(3)), total, m))
        runs.sort(key=lambda r: r[0])
        secs, total, m = runs[len(runs) // 2]
        scanned = int(m.group(1).replace(",", ""))
        values = int(m.group(2).replace(",", ""))
        rows.append((f"konseki ioc import ({n:,} IOCs: import + sweep)", total, SESSIONS / total))
        rows.append((f"  of which the sweep ({m.group(4)} findings in {m.group(5)} sessions)",
                     secs, SESSIONS / secs))
        if n == 10000:
            names, addrs, _ = kinds(vals)
            if TSHARK:
                # the sets as display filter macros: -Y stays short
                conf = os.path.join(DATA, "tshark-conf")
                os.makedirs(os.path.join(conf, "wireshark"), exist_ok=True)
                with open(os.path.join(conf, "wireshark", "dfilter_macros"), "w") as f:
                    f.write('"iocnames","%s"\n' % ", ".join(names))
                    f.write('"iocaddrs","%s"\n' % ", ".join(addrs))
                flt = ("dns.qry.name in {${iocnames}} || dns.cname in {${iocnames}} || "
                       "tls.handshake.extensions_server_name in {${iocnames}} || "
                       "http.host in {${iocnames}} || ip.addr in {${iocaddrs}} || "
                       "dns.a in {${iocaddrs}}")
                env = dict(os.environ, XDG_CONFIG_HOME=conf)
                tdt, _ = timed(["tshark", "-n", "-r", pcap, "-Y", flt], env=env)
                rows.append((f"tshark -Y ({len(names):,} names, exact, in DNS/SNI/HTTP host; "
                             f"{len(addrs):,} addresses and networks; no hashes)", tdt,
                             SESSIONS / tdt))
                ratios.append(f"sweep vs tshark (most of the same set): {tdt / secs:,.0f}x; "
                              f"import + sweep vs tshark: {tdt / total:,.0f}x")
            some = [a for a in addrs if "/" not in a][:TCPDUMP_HOSTS]
            bdt, _ = timed(["tcpdump", "-n", "-r", pcap, "-w", "/dev/null",
                            " or ".join("host " + a for a in some)])
            rows.append((f"tcpdump BPF ({len(some):,} addresses)", bdt, SESSIONS / bdt))
            part = pcap_slice(pcap, TCPDUMP_SLICE)
            bpf = os.path.join(DATA, "ioc-set-10000.bpf")
            with open(bpf, "w") as f:
                f.write(" or ".join(("net " if "/" in a else "host ") + a for a in addrs))
            sdt, _ = timed(["tcpdump", "-O", "-n", "-r", part, "-w", "/dev/null", "-F", bpf])
            full = sdt * size / os.path.getsize(part)
            rows.append((f"tcpdump -O BPF (all {len(addrs):,} addresses and networks; "
                         f"{sdt:.1f} s for the first {os.path.getsize(part) / 1e6:.0f} MB, "
                         f"scaled by bytes)", full, SESSIONS / full))
            ratios.append(f"sweep vs tcpdump, {len(some)} addresses: {bdt / secs:,.0f}x; "
                          f"all addresses and networks: {full / secs:,.0f}x")
    print(f"\nIOC retro-match over {SESSIONS:,} stored sessions "
          f"({size / 1e9:.2f} GB of pcap; the 100,000 sweep read {scanned:,} session index "
          f"entries and {values:,} values):\n")
    print("| run | seconds | sessions/s |")
    print("|---|---:|---:|")
    for name, s, r in rows:
        print(f"| {name} | {s:.2f} | {r:,.0f} |")
    print()
    for r in ratios:
        print(r)


if __name__ == "__main__":
    main()

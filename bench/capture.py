#!/usr/bin/env python3
"""make bench (capture part): the highest replay rate konseki capture keeps with zero drops.

Builds a private network namespace pair joined by a veth (as tests/capture/run.sh does),
then, in the same run and on the same link, for `konseki capture` and for `tcpdump -w`:
  - replays a generated mix with tcpreplay at top speed, then bisects the --mbps rate
    down to the highest one at which every packet sent arrives (kernel drops 0 and
    packets captured == packets sent);
  - reports that rate in packets/s and Mbit/s, and the capture process's CPU time
    (user + system, from wait4) per Gbit/s captured at that rate.
Prints a Markdown table for the README.  Needs root; skips with a message otherwise.
Environment: BENCH_CAPTURE_SIZE (default 200M), BENCH_CAPTURE_STEPS (bisection steps, 6).
"""
import os, shutil, subprocess, sys, tempfile, time

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KONSEKI = os.path.join(ROOT, BUILD, "konseki")
GEN = os.path.join(ROOT, BUILD, "konseki-gen")
DATA = os.environ.get("BENCH_DIR", os.path.join(ROOT, "bench", "data"))
SIZE = os.environ.get("BENCH_CAPTURE_SIZE", "200M")
STEPS = int(os.environ.get("BENCH_CAPTURE_STEPS", "6"))
SEED = "20261126"
NSA, NSB = f"ksbench{os.getpid()}a", f"ksbench{os.getpid()}b"


def sh(*cmd, check=True):
    return subprocess.run(cmd, check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)


def netns_up():
    sh("ip", "netns", "add", NSA)
    sh("ip", "netns", "add", NSB)
    sh("ip", "link", "add", "va", "netns", NSA, "type", "veth", "peer", "name", "vb", "netns", NSB)
    for ns, i in ((NSA, "va"), (NSB, "vb")):
        sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
           "net.ipv6.conf.default.disable_ipv6=1")
        sh("ip", "-n", ns, "link", "set", i, "mtu", "9000", "up")


def netns_down():
    sh("ip", "netns", "del", NSA, check=False)
    sh("ip", "netns", "del", NSB, check=False)


def pcap_stats(path):
    """(packets, wire bytes) of a classic pcap."""
    n = b = 0
    with open(path, "rb") as f:
        f.seek(24)
        while True:
            h = f.read(16)
            if len(h) < 16:
                break
            cap = int.from_bytes(h[8:12], "little")
            b += int.from_bytes(h[12:16], "little")
            f.seek(cap, 1)
            n += 1
    return n, b


def replay(pcap, mbps):
    """Replay at mbps (None = top speed); returns (seconds, packets sent)."""
    cmd = ["ip", "netns", "exec", NSA, "tcpreplay", "-i", "va"]
    cmd += ["--topspeed"] if mbps is None else ["--mbps", f"{mbps:.1f}"]
    t0 = time.monotonic()
    r = sh(*cmd, pcap)
    dt = time.monotonic() - t0
    sent = 0
    for line in r.stdout.splitlines():
        if "Successful packets:" in line:
            sent = int(line.split(":")[1])
    return dt, sent


def trial(tool, pcap, mbps, work):
    """One capture of one replay: dict with sent, got, drops, secs, cpu."""
    store = os.path.join(work, "store")
    out = os.path.join(work, "tcpdump.pcap")
    shutil.rmtree(store, ignore_errors=True)
    if tool == "konseki":
        cmd = [KONSEKI, "capture", "--store", store, "-i", "vb", "--stats-every", "0",
               "--buffer", "256M"]
    else:
        cmd = ["tcpdump", "-i", "vb", "-B", str(256 * 1024), "-s", "262144", "-w", out]
    p = subprocess.Popen(["ip", "netns", "exec", NSB] + cmd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)  # interfaces open, ring mapped
    secs, sent = replay(pcap, mbps)
    time.sleep(0.5)
    p.send_signal(15)
    _, status, ru = os.wait4(p.pid, 0)
    err = p.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: {tool} failed: {err.strip()[-400:]}")
    cpu = ru.ru_utime + ru.ru_stime
    if tool == "konseki":
        js = sh(KONSEKI, "stats", "--store", store, "--json").stdout
        import json
        c = json.loads(js)["counters"]
        got, drops = c.get("capture.captured", 0), c.get("capture.kernel_drop", 0)
    else:
        got, _ = pcap_stats(out)
        drops = 0
        for line in err.splitlines():
            if "dropped by kernel" in line:
                drops = int(line.split()[0])
    return {"sent": sent, "got": got, "drops": drops, "secs": secs, "cpu": cpu}


def best_rate(tool, pcap, nbytes, work):
    """Highest zero-drop rate: top speed if that is clean, else bisect below it."""
    top = trial(tool, pcap, None, work)
    top_mbps = nbytes * 8 / top["secs"] / 1e6
    clean = lambda t: t["drops"] == 0 and t["got"] == t["sent"] and t["sent"] > 0
    if clean(top):
        return top, top_mbps, True
    lo, hi, best = 0.0, top_mbps, None
    for _ in range(STEPS):
        mid = (lo + hi) / 2
        t = trial(tool, pcap, mid, work)
        if clean(t):
            lo, best = mid, (t, nbytes * 8 / t["secs"] / 1e6)
        else:
            hi = mid
    if best is None:
        return None, 0.0, False
    return best[0], best[1], False


def main():
    if os.geteuid() != 0:
        print("bench capture: skipped (needs root for network namespaces)")
        return 0
    for tool in ("tcpreplay", "tcpdump", "ip"):
        if not shutil.which(tool):
            print(f"bench capture: skipped ({tool} missing; scripts/install-deps)")
            return 0
    os.makedirs(DATA, exist_ok=True)
    pcap = os.path.join(DATA, f"capture-{SIZE}-{SEED}.pcap")
    if not os.path.exists(pcap):
        subprocess.run([GEN, "--seed", SEED, "--mix", "default", "--size", SIZE,
                        "--duration", "10m", "-o", pcap], check=True)
    npk, nbytes = pcap_stats(pcap)
    work = tempfile.mkdtemp(prefix="konseki-bench-capture.")
    netns_down()
    try:
        netns_up()
        rows = []
        for tool in ("konseki", "tcpdump"):
            t, mbps, capped = best_rate(tool, pcap, nbytes, work)
            rows.append((tool, t, mbps, capped))
    finally:
        netns_down()
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nLive capture on a veth pair in private namespaces: {nbytes / 1e6:.0f} MB, "
          f"{npk:,} packets ({nbytes / npk:.0f} B average frame), replayed by tcpreplay; "
          f"{os.cpu_count()} cores.\n")
    print("| capture | highest zero-drop rate | packets/s | Mbit/s | CPU s per Gbit/s |")
    print("|---|---|---:|---:|---:|")
    for tool, t, mbps, capped in rows:
        name = "konseki capture" if tool == "konseki" else "tcpdump -w"
        if t is None:
            print(f"| {name} | (drops at every rate tried) | | | |")
            continue
        how = "tcpreplay top speed (sender-bound)" if capped else "bisected --mbps"
        gbits = nbytes * 8 / 1e9
        print(f"| {name} | {how} | {npk / t['secs']:,.0f} | {mbps:,.0f} | "
              f"{t['cpu'] / gbits:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

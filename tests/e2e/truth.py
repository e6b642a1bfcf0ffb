#!/usr/bin/env python3
"""Sessions konseki stores vs the generator's ground truth.

For several generated captures (every scenario, every link type and file
format, a mixed day), ingest into a fresh store and require that every truth
session appears exactly once with the same initiator, responder, ports,
VLAN tags, per-direction packets / frame bytes / payload bytes and first/last
timestamps (pieces of long sessions are summed), and that konseki has no
session the truth lacks.  Prints "truth: N passed, N failed".
"""
import json, os, subprocess, sys, tempfile
from collections import defaultdict
from datetime import datetime, timezone

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
K = os.path.join(ROOT, BUILD, "konseki")
GEN = os.path.join(ROOT, BUILD, "konseki-gen")

# (name, generator arguments, extra ingest arguments)
CASES = [
    ("basic-ethernet", ["--scenario", "basic"]),
    ("basic-sll-ns", ["--scenario", "basic", "--link", "sll", "--format", "pcap-ns"]),
    ("basic-sll2-pcapng", ["--scenario", "basic", "--link", "sll2", "--format", "pcapng"]),
    ("basic-raw", ["--scenario", "basic", "--link", "raw"]),
    ("basic-null", ["--scenario", "basic", "--link", "null"]),
    ("frag", ["--scenario", "frag"]),
    ("long", ["--scenario", "long"]),
    # 35 minutes in 60 s pieces: every piece shares the id and they add up to the truth.
    ("long-pieces-60s", ["--scenario", "long"], ["--active-timeout", "60s"]),
    ("mixed-3000", ["--sessions", "3000", "--duration", "6h"]),
    ("small-2000", ["--mix", "small", "--sessions", "2000"]),
    # planted application sessions: their records must hold the values the truth states
    ("plant", ["--scenario", "plant"]),
    ("plant-sll2-pcapng", ["--scenario", "plant", "--link", "sll2", "--format", "pcapng"]),
    # three days with planted threats: frames cut by the snap length and coalesced bulk
    # segments still count their bytes on the wire
    ("hunt", ["--scenario", "hunt"]),
]


def ns(ts):
    """RFC 3339 with up to 9 fraction digits -> integer ns."""
    ts = ts.rstrip("Z")
    if "." in ts:
        base, frac = ts.split(".")
        frac = (frac + "000000000")[:9]
    else:
        base, frac = ts, "0"
    dt = datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return int(dt.timestamp()) * 1_000_000_000 + int(frac)


def key(proto, src, sport, dst, dport, vlan):
    return (proto, src, sport, dst, dport, tuple(vlan))


def values(records):
    """path -> set of values over a session's records (arrays flattened)."""
    out = defaultdict(set)

    def walk(prefix, v):
        if isinstance(v, dict):
            for k, x in v.items():
                walk(prefix + "." + k if prefix else k, x)
        elif isinstance(v, list):
            for x in v:
                walk(prefix, x)
        else:
            out[prefix].add(v)

    for r in records:
        walk("", r)
    return out


# planted session kind -> [(truth key, record path(s), how to turn the truth value into a set)]
def one(v):
    return {v}


def many(v):
    return set(v)


PLANT_CHECKS = {
    "dns": [("qname", "dns.question.name", one), ("qtype", "dns.question.type", one),
            ("answer_data", "dns.answers.data", many)],
    "http": [("host", "url.domain", one), ("method", "http.request.method", one),
             ("uri", "url.original", one), ("status", "http.response.status_code", one)],
    "tls": [("sni", "tls.client.server_name", one), ("ja3", "tls.client.ja3", one),
            ("ja3_string", "tls.client.ja3_string", one), ("ja3s", "tls.server.ja3s", one),
            ("cert_sha1", "tls.server.hash.sha1", one),
            ("cert_sha256", "tls.server.hash.sha256", one),
            ("cert_subject_cn", "tls.server.x509.subject.common_name", one),
            ("alpn", "tls.next_protocol", one)],
    "ssh": [("ssh_client", "ssh.client.software", one), ("ssh_server", "ssh.server.software", one),
            ("hassh", "ssh.client.hassh", one), ("hassh_server", "ssh.server.hassh", one)],
    "kerberos": [("cname", "krb.cname", one), ("realm", "krb.realm", one),
                 ("sname", "krb.sname", one)],
    "smb": [("user", "ntlm.user", one), ("domain", "ntlm.domain", one),
            ("workstation", "ntlm.workstation", one), ("shares", "smb.share", many),
            ("files", "file.name", many), ("service_name", "dcerpc.svcctl.service_name", one),
            ("service_binary_path", "dcerpc.svcctl.binary_path", one)],
}


def check_plant(bad, truth_lines, rows):
    """Every planted session's stated values appear in its records."""
    by = defaultdict(list)
    for d in rows:
        by[(d["source"]["ip"], d["source"].get("port"))].append(d)
    for t in truth_lines:
        if "plant" not in t:
            continue
        recs = [r for d in by.get((t["src"], t["sport"]), []) for r in d.get("records", [])]
        got = values(recs)
        for tkey, path, conv in PLANT_CHECKS.get(t["kind"], []):
            if t.get(tkey) is None:
                continue
            want = conv(t[tkey])
            if not want <= got.get(path, set()):
                bad.append(f"{t['plant']}: {path} {sorted(map(str, got.get(path, set())))}"
                           f" lacks {sorted(map(str, want))}")
        if t["kind"] == "http":
            for h in t.get("http", []):
                for tkey, path in (("sha256", "file.hash.sha256"), ("md5", "file.hash.md5"),
                                   ("filename", "file.name"), ("user_agent", "user_agent.original")):
                    if h.get(tkey) and h[tkey] not in got.get(path, set()):
                        bad.append(f"http {h['uri']}: {path} lacks {h[tkey]}")


def main():
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="konseki-truth.") as tmp:
        for name, args, *ingest_args in CASES:
            ingest_args = ingest_args[0] if ingest_args else []
            pcap, truth, store = (os.path.join(tmp, name + x) for x in (".pcap", ".truth", ".store"))
            subprocess.run([GEN, "--seed", "99", *args, "-o", pcap, "--truth", truth], check=True)
            subprocess.run([K, "ingest", "-q", "--store", store, *ingest_args, pcap], check=True)
            out = subprocess.run([K, "query", "--store", store, "--json"], check=True,
                                 capture_output=True, text=True).stdout
            got = defaultdict(lambda: {"pkts": [0, 0], "bytes": [0, 0], "payload": [0, 0],
                                       "first": None, "last": None, "ids": set()})
            longest_piece = 0
            for line in out.splitlines():
                d = json.loads(line)
                longest_piece = max(longest_piece, d["event"]["duration"])
                proto = d["network"]["transport"]
                vlan = []
                if "vlan" in d["network"]:
                    vlan.append(int(d["network"]["vlan"]["id"]))
                if "inner" in d["network"]:
                    vlan.append(int(d["network"]["inner"]["vlan"]["id"]))
                if proto in ("icmp", "ipv6-icmp"):
                    sp, dp = d["konseki"]["icmp"]["type"], 0
                else:
                    sp, dp = d["source"].get("port", 0), d["destination"].get("port", 0)
                g = got[key(proto, d["source"]["ip"], sp, d["destination"]["ip"], dp, vlan)]
                g["ids"].add((d["event"]["id"], d["konseki"]["piece"]))
                for i, side in enumerate(("source", "destination")):
                    g["pkts"][i] += d[side]["packets"]
                    g["bytes"][i] += d[side]["bytes"]
                    g["payload"][i] += d["konseki"][side]["payload_bytes"]
                f, l = ns(d["event"]["start"]), ns(d["event"]["end"])
                g["first"] = f if g["first"] is None else min(g["first"], f)
                g["last"] = l if g["last"] is None else max(g["last"], l)
            want = {}
            bad = []
            truth_lines = []
            with open(truth) as fh:
                for line in fh:
                    t = json.loads(line)
                    truth_lines.append(t)
                    k = key(t["proto"], t["src"], t["sport"], t["dst"], t["dport"], t["vlan"])
                    want.setdefault(k, []).append(t)
            # Port reuse: two truth sessions share one 5-tuple; konseki must keep them apart.
            for k, ts in want.items():
                g = got.get(k)
                if g is None:
                    bad.append(f"missing session {k}")
                    continue
                exp_pkts = [sum(t["src_pkts"] for t in ts), sum(t["dst_pkts"] for t in ts)]
                exp_bytes = [sum(t["src_bytes"] for t in ts), sum(t["dst_bytes"] for t in ts)]
                exp_pay = [sum(t["src_payload"] for t in ts), sum(t["dst_payload"] for t in ts)]
                ids = {i for i, _ in g["ids"]}
                if len(ids) != len(ts):
                    bad.append(f"{k}: {len(ids)} session ids, truth has {len(ts)} sessions")
                if g["pkts"] != exp_pkts or g["bytes"] != exp_bytes or g["payload"] != exp_pay:
                    bad.append(f"{k}: pkts {g['pkts']} bytes {g['bytes']} payload {g['payload']}"
                               f" vs truth {exp_pkts} {exp_bytes} {exp_pay}")
                first = min(ns(t["first"]) for t in ts)
                last = max(ns(t["last"]) for t in ts)
                if g["first"] != first or g["last"] != last:
                    bad.append(f"{k}: time {g['first']}..{g['last']} vs truth {first}..{last}")
            for k in got:
                if k not in want:
                    bad.append(f"extra session {k}")
            check_plant(bad, truth_lines, [json.loads(x) for x in out.splitlines()])
            if name == "long-pieces-60s":
                # A packet 60 s or more after its piece began starts the next piece.
                pieces = sum(len(g["ids"]) for g in got.values())
                if pieces < 2 or longest_piece >= 60_000_000_000:
                    bad.append(f"{pieces} pieces, longest {longest_piece / 1e9:.1f} s "
                               "with --active-timeout 60s")
            if bad:
                failed += 1
                print(f"FAIL {name}: {len(bad)} mismatches in {sum(len(v) for v in want.values())}"
                      " sessions")
                for b in bad[:10]:
                    print("   ", b)
            else:
                passed += 1
    print(f"truth: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

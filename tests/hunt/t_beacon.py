"""The beacon (KH-0001) and egress (KH-0009) hunts: on the generated hunt scenario, on planted
timelines of our own (synthpcap.py: a C2 behind rotating CDN addresses, a consumer turned
producer), and on the real DNS-TXT C2 capture."""
import ipaddress
import json
import os
import re

import synthpcap
from run import rank_of

_synth = {}


def synth_store(env, name):
    """A store of one synthpcap scenario (built once per run): (store, what was planted)."""
    if name not in _synth:
        pcap = os.path.join(env.tmp, "synth-%s.pcap" % name)
        planted = {"beacon": synthpcap.write_scenario, "egress": synthpcap.write_egress}[name](pcap)
        store = os.path.join(env.tmp, "synth-%s" % name)
        env.run("ingest", "--store", store, pcap)
        _synth[name] = (store, planted)
    return _synth[name]


def planted(env, hunt):
    """The generated scenario's store and its one planted threat for hunt."""
    store, _ = env.hunt_store()
    threat = env.truth(hunt, threat=True)
    assert len(threat) == 1, threat
    return store, threat[0]


def sessions(env, store, ids):
    """The stored sessions (piece 0) of event ids, by id."""
    out = {}
    for i in ids:
        p = env.run("query", "--store", store, "--json", "event.id == %s" % i)
        rows = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
        assert rows, "evidence %s is no stored session" % i
        out[i] = rows[0]
    return out


def sni_of(session):
    for rec in session.get("records", []):
        name = rec.get("tls", {}).get("client", {}).get("server_name")
        if name:
            return name
    return None


def in_src(ip, src):
    """Is address ip the truth's src (an address or, for look-alikes of many hosts, a CIDR)?"""
    if not src or not ip:
        return not src
    return ipaddress.ip_address(ip) in ipaddress.ip_network(src, strict=False)


def matches(r, t):
    """Does result r show truth entry t (its host, and its server or name where given)?"""
    if not in_src(r.get("source", {}).get("ip"), t.get("src")):
        return False
    dom = r.get("url", {}).get("domain", "")
    dst = r.get("destination", {}).get("ip", "")
    return bool((t.get("name") and dom == t["name"]) or (t.get("dst") and dst == t["dst"]))


# ---------------------------------------------------------------- beacon

def test_beacon_generated(env):
    store, t = planted(env, "beacon")
    res, run = env.hunt(store, "beacon")
    # the planted C2 is the first thing an analyst sees
    assert rank_of(res, lambda r: matches(r, t)) == 1, [x["hunt"]["explanation"] for x in res[:5]]
    top = res[0]
    assert top["hunt"]["score"] >= 0.7, top["hunt"]
    assert top["source"]["ip"] == t["src"]
    # its evidence is the C2's own sessions
    ev = sessions(env, store, top["event"]["id"][:4])
    for s in ev.values():
        assert s["source"]["ip"] == t["src"], s["source"]
        assert (t.get("dst") and s["destination"]["ip"] == t["dst"]) or sni_of(s) == t["name"], s
    assert run["hunt"]["run"]["results"] == len(res)
    # no look-alike (NTP, update checks from many hosts) is a result, and with every score shown
    # each ranks below it, for every host that does it
    las = env.truth("beacon", threat=False)
    assert las
    for la in las:
        assert rank_of(res, lambda r: matches(r, la)) is None, la
    res, _ = env.hunt(store, "beacon", "--param", "min_score=0")
    assert rank_of(res, lambda r: matches(r, t)) == 1
    for la in las:
        seen = [r for r in res if matches(r, la)]
        assert seen, la  # the hunt does see them (they are periodic) ...
        assert all(r["hunt"]["score"] < 0.5 * top["hunt"]["score"] for r in seen), \
            (la, [r["hunt"]["explanation"] for r in seen[:2]])  # ... and calls them common


def test_beacon_cdn_rotation(env):
    """The C2 name sits behind 8 rotating addresses that browsing hosts also reach: only the
    host-and-name entity sees the rhythm, and it ranks first, above hourly update checks and NTP
    from many hosts."""
    store, planted = synth_store(env, "beacon")
    res, _ = env.hunt(store, "beacon")
    assert res, "no results"
    top = res[0]
    assert top["source"]["ip"] == planted["src"], top["hunt"]
    assert top["url"]["domain"] == planted["name"], top
    assert "destination" not in top  # several addresses: no single server entity
    assert top["hunt"]["sessions"] == planted["connections"], top["hunt"]
    assert top["hunt"]["score"] > 0.85, top["hunt"]
    expl = top["hunt"]["explanation"]
    assert "every 60 s" in expl and "1 of 18 hosts" in expl, expl
    # evidence: the first and the last connections, all to the C2 name
    ids = top["event"]["id"]
    assert len(ids) == 16, ids
    for s in sessions(env, store, ids[:3] + ids[-2:]).values():
        assert s["source"]["ip"] == planted["src"] and sni_of(s) == planted["name"], s
    # the look-alikes are below min_score: nothing else is a result at all
    assert len(res) == 1, [r["hunt"]["explanation"] for r in res]
    # with every score shown, the update checks (12 hosts, hourly, perfect) and NTP (12 hosts,
    # 1024 s, internal server) rank below, each with its prevalence said
    res, _ = env.hunt(store, "beacon", "--param", "min_score=0")
    assert res[0]["url"]["domain"] == planted["name"]
    upd = [r for r in res if r.get("url", {}).get("domain") == "updates.example.com"]
    assert len(upd) == 12 and all(r["hunt"]["score"] < 0.3 for r in upd), [r["hunt"] for r in upd]
    assert "12 of 18 hosts" in upd[0]["hunt"]["explanation"]
    ntp = [r for r in res if r.get("destination", {}).get("ip") == "10.1.1.10"]
    assert len(ntp) == 12 and all(r["hunt"]["score"] < 0.2 for r in ntp), [r["hunt"] for r in ntp]
    assert "every 17 min" in ntp[0]["hunt"]["explanation"], ntp[0]["hunt"]
    # the CDN addresses themselves carry no rhythm: their pairs score low
    cdn = [r for r in res if r.get("destination", {}).get("ip", "").startswith("198.51.100.")]
    assert all(r["hunt"]["score"] < 0.3 for r in cdn), [r["hunt"] for r in cdn]


def test_beacon_params_and_bounds(env):
    store, planted = synth_store(env, "beacon")
    # more connections required than the C2 made: it is no longer a candidate
    res, _ = env.hunt(store, "beacon", "--param", "min_conns=%d" % (planted["connections"] + 1))
    assert not [r for r in res if r.get("url", {}).get("domain") == planted["name"]]
    # a small sample per entity still finds it (reservoir), a tiny budget fails clearly
    res, _ = env.hunt(store, "beacon", "--param", "samples=50")
    assert res and res[0]["url"]["domain"] == planted["name"], res[:1]
    p = env.run("hunt", "run", "beacon", "--store", store, "--param", "max_samples=100",
                check=False)
    assert p.returncode != 0 and "max_samples" in p.stderr, p.stderr
    p = env.run("hunt", "run", "beacon", "--store", store, "--param", "max_entities=3",
                check=False)
    assert p.returncode != 0 and "max_entities" in p.stderr, p.stderr
    p = env.run("hunt", "run", "beacon", "--store", store, "--param", "min_conns=2",
                check=False)
    assert p.returncode == 1 and "min_conns" in p.stderr, p.stderr


def test_beacon_real_dns_c2(env):
    """The PowerShell DNS-TXT C2 capture lasts 62 s: its 32 polls of one name are regular enough
    to be the top entity, but a minute is no beacon by the default thresholds (duration ~ 0), so
    the default run stays quiet; with min_score=0 the poll name is first, as a DNS result."""
    store = env.attack_store("cmds_over_dns_txt_queries_and_reponses.pcap")
    res, _ = env.hunt(store, "beacon")
    assert res == [], [r["hunt"]["explanation"] for r in res]
    res, _ = env.hunt(store, "beacon", "--param", "min_score=0")
    top = res[0]
    assert top["source"]["ip"] == "192.168.100.121", top
    assert top["url"]["domain"] == "c.1-1.24006.ns.ostrykebs.pl", top
    assert top["threat"]["technique"]["id"][0] == "T1071.004", top["threat"]
    assert top["hunt"]["sessions"] == 32, top["hunt"]


# ---------------------------------------------------------------- egress

def test_egress_generated(env):
    store, t = planted(env, "egress")
    res, _ = env.hunt(store, "egress")
    assert rank_of(res, lambda r: r["source"]["ip"] == t["src"]) == 1, \
        [x["hunt"]["explanation"] for x in res[:5]]
    top = res[0]
    if t.get("dst"):
        assert top["destination"]["ip"] == t["dst"], top
    # evidence: the host's sessions that sent to external hosts on the last day
    for s in sessions(env, store, top["event"]["id"][:3]).values():
        assert t["src"] in (s["source"]["ip"], s["destination"]["ip"]), s
    # the truth's "≥ 20x its day-1/2 level", measured against the host's own two baseline days
    m = re.search(r"median of 2 days\): (\d+)x", top["hunt"]["explanation"])
    assert m and int(m.group(1)) >= 20, top["hunt"]["explanation"]
    las = env.truth("egress", threat=False)
    assert las
    for la in las:
        assert rank_of(res, lambda r: in_src(r["source"]["ip"], la.get("src"))) is None, la


def test_egress_synthetic(env):
    """Ten steady workstations, a steady 150 MB/day backup, a 400 MB download on day 3, and one
    workstation that sends 80 MB out on day 3 (40x its 2 MB/day): only that one is a result."""
    store, planted = synth_store(env, "egress")
    res, run = env.hunt(store, "egress")
    assert len(res) == 1, [r["hunt"]["explanation"] for r in res]
    r = res[0]
    assert r["source"]["ip"] == planted["src"] and r["destination"]["ip"] == planted["dst"], r
    expl = r["hunt"]["explanation"]
    assert "on 2024-03-06" in expl and "median of 2 days" in expl and "40x" in expl, expl
    assert "PCR -0.82 -> +0.58" in expl, expl
    # evidence: the four 20 MB uploads first
    ev = sessions(env, store, r["event"]["id"][:4])
    for s in ev.values():
        assert s["source"]["ip"] == planted["src"]
        assert s["destination"]["ip"] == planted["dst"]
        assert s["source"]["bytes"] > 20000000, s["source"]
    # the backup host and the big download only appear with the thresholds off, far below
    res, _ = env.hunt(store, "egress", "--param", "min_jump=0", "--param", "min_bytes=0")
    assert res[0]["source"]["ip"] == planted["src"]
    backup = rank_of(res, lambda x: x["source"]["ip"] == "10.1.1.60")
    download = rank_of(res, lambda x: x["source"]["ip"] == "10.1.10.58")
    assert backup and download and backup > 1 and download > 1
    assert all(x["hunt"]["score"] < 0.1 for x in res[1:]), [x["hunt"] for x in res[1:3]]
    # two recent days: day 2 and 3 against day 1 — still the same host, a smaller mean
    res, _ = env.hunt(store, "egress", "--param", "recent_days=2")
    assert res and res[0]["source"]["ip"] == planted["src"], res
    assert "2024-03-05..2024-03-06" in res[0]["hunt"]["explanation"]
    p = env.run("hunt", "run", "egress", "--store", store, "--param", "recent_days=0",
                check=False)
    assert p.returncode == 1 and "recent_days" in p.stderr, p.stderr


def test_egress_real_captures_quiet(env):
    """No real capture here exfiltrates: each is minutes long with no earlier day to compare."""
    store = env.attack_store("LM_psexec_smb_dcerpc_epm_svcctl.pcapng",
                             "cmds_over_dns_txt_queries_and_reponses.pcap", "dnsextrator.pcap")
    res, run = env.hunt(store, "egress")
    assert res == [] and run["hunt"]["run"]["results"] == 0, res

"""The network hunts: scan, cross-zone, edge-probe, mft-theft.

Each is tested on the generator's hunt scenario (planted threat at rank 1, look-alikes below
or absent, entities and evidence right), on traffic of our own (tests/hunt/netpcap.py) for the
cases the scenario does not plant (vertical scans, ping sweeps, traceroute, a lone traversal
request, a portal user, a partner that always pulls much, a zone's known habit), and on the
real attack captures, none of which is a scan, a pivot across zones, an edge probe or an MFT
theft: there they must stay quiet, and cross-zone must see PsExec's access once zones say the
two hosts are in different zones.
"""
import json
import os

from netpcap import Pcap
from run import rank_of

T0 = 1709510400.0  # 2024-03-04T00:00:00Z, the hunt scenario's first day
DAY = 86400.0

# ------------------------------------------------------------------ helpers


def _one(env, name):
    t = env.truth(name, threat=True)
    assert len(t) == 1, t
    return t[0]


def _src(r):
    return r.get("source", {}).get("ip", "")


def _dst(r):
    return r.get("destination", {}).get("ip", "")


def _detail(r):
    return r.get("konseki", {}).get("detail", "")


def _attack(r):
    return r.get("threat", {}).get("technique", {}).get("id", [])


def _events(r):
    ev = r["event"]
    ids = ev.get("ids") or ev.get("id") or []
    return [ids] if isinstance(ids, str) else ids


def _sessions_of(env, store, ids):
    """The stored sessions of evidence ids (konseki query 'event.id == X')."""
    out = []
    for i in ids:
        p = env.run("query", "--store", store, "--json", "event.id == %s" % i)
        rows = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
        assert rows, "evidence %s is no stored session" % i
        out.append(rows[0])
    return out


_own = {}


def own_store(env):
    """Three days of our own traffic with the cases the generator does not plant."""
    if "store" in _own:
        return _own["store"]
    pcap = os.path.join(env.tmp, "net-own.pcap")
    w = Pcap(pcap)
    ev = []
    for d in range(3):
        base = T0 + d * DAY
        # monitoring: connects to 10 servers every 5 min, 08-12h (connect-only and HTTP)
        for k in range(8 * 3600, 12 * 3600, 300):
            for i in range(10):
                ev.append((base + k + i * 0.1, "mon", i))
        # affiliate 10.50.1.9 uses FS01's SMB every day (its zone's habit)
        for h in range(9, 17):
            ev.append((base + h * 3600 + 600, "habit", None))
        # the VPN portal: 25 external clients a day; its routine LDAP to the DC
        for i in range(25):
            ev.append((base + 28800 + i * 300, "vpn", i))
        ev.append((base + 30000, "ldap", None))
        # MFT partners: ~1-2 MB a day each; a big partner: 60 MB every day
        for i in range(4):
            ev.append((base + 30000 + i * 1000, "partner", (i, 1000000 + 250000 * i)))
        ev.append((base + 40000, "big", 60000000))
    # day 2: an external vertical scan of the portal (400 ports, refused), a ping sweep of 40
    # hosts (half answer), a traceroute, a lone traversal request, a portal user's login page
    for p in range(1, 401):
        ev.append((T0 + DAY + 5000 + p * 0.5, "vert", p))
    for i in range(40):
        ev.append((T0 + DAY + 20000 + i, "ping", i))
    for i in range(30):
        ev.append((T0 + DAY + 21000 + i * 0.1, "trace", i))
    ev.append((T0 + DAY + 22000, "noise", "/cgi-bin/../../../../etc/passwd"))
    ev.append((T0 + DAY + 23000, "user", "/remote/login?lang=en"))
    # day 3: the pivot from the affiliate (FS01:445 is its zone's habit, the rest is new)
    for i, (dst, port) in enumerate((("10.1.1.10", 445), ("10.1.1.20", 445),
                                     ("10.1.1.10", 3389), ("10.1.1.30", 22))):
        ev.append((T0 + 2 * DAY + 50000 + i * 30, "pivot", (dst, port)))
    # day 3: a probe with two exploit paths on the portal, then its first SMB to the DC
    ev.append((T0 + 2 * DAY + 32400, "probe", "/vpn/../vpns/cfg/smb.conf"))
    ev.append((T0 + 2 * DAY + 32420, "probe", "/remote/fgt_lang?lang=/../../../..//x"))
    ev.append((T0 + 2 * DAY + 36000, "appl", ("10.1.1.10", 445)))
    # day 3: a thief pulls 20 x 4 MB from the MFT server
    for k in range(20):
        ev.append((T0 + 2 * DAY + 7200 + k * 60, "thief", 4000000))
    ev.sort(key=lambda e: e[0])
    ok = dict(c2s=b"\0\0\0\x04abcd", s2c=b"\0\0\0\x04abcd")
    for t, k, a in ev:
        if k == "mon":
            if a % 2:
                w.tcp(t, "10.1.1.50", "10.1.1.%d" % (100 + a), 443, "rsto")
            else:
                w.tcp(t, "10.1.1.50", "10.1.1.%d" % (100 + a), 80,
                      c2s=b"GET / HTTP/1.0\r\n\r\n", s2c=b"HTTP/1.0 200 OK\r\n\r\nok")
        elif k == "habit":
            w.tcp(t, "10.50.1.9", "10.1.1.20", 445, **ok)
        elif k == "vpn":
            w.tcp(t, "198.51.100.%d" % (a + 1), "10.1.0.1", 443, **ok)
        elif k == "ldap":
            w.tcp(t, "10.1.0.1", "10.1.1.10", 389, **ok)
        elif k == "partner":
            w.tcp(t, "198.51.100.%d" % (100 + a[0]), "10.1.1.30", 443, c2s=b"get",
                  s2c_bulk=a[1])
        elif k == "big":
            w.tcp(t, "198.51.100.200", "10.1.1.30", 443, c2s=b"get", s2c_bulk=a)
        elif k == "vert":
            w.tcp(t, "203.0.113.99", "10.1.0.1", a, "rej")
        elif k == "ping":
            w.icmp_echo(t, "10.1.10.30", "10.1.20.%d" % (a + 1), reply=a % 2 == 0)
        elif k == "trace":
            w.udp(t, "10.1.10.31", "192.0.2.1", 33434 + a)
        elif k == "noise":
            w.http(t, "192.0.2.77", "10.1.1.40", a, status=400)
        elif k == "user":
            w.http(t, "198.51.100.3", "10.1.0.1", a, status=200)
        elif k == "pivot":
            w.tcp(t, "10.50.1.7", a[0], a[1], "ok" if a[1] != 22 else "rej", **ok)
        elif k == "probe":
            w.http(t, "203.0.113.50", "10.1.0.1", a, status=404)
        elif k == "appl":
            w.tcp(t, "10.1.0.1", a[0], a[1], **ok)
        elif k == "thief":
            w.tcp(t, "203.0.113.66", "10.1.1.30", 443, c2s=b"get", s2c_bulk=a)
    w.close()
    store = os.path.join(env.tmp, "net-own")
    env.run("ingest", "--store", store, pcap)
    _own["store"] = store
    return store


# ------------------------------------------------------------------ scan


def test_scan_generated(env):
    store, _ = env.hunt_store()
    t = _one(env, "scan")
    res, run = env.hunt(store, "scan")
    assert rank_of(res, lambda r: _src(r) == t["src"]) == 1, res[:3]
    top = res[0]
    assert _detail(top).startswith("horizontal"), top
    assert top["hunt"]["score"] >= 0.7 and _attack(top) == ["T1046"], top
    for look in env.truth("scan", threat=False):
        rk = rank_of(res, lambda r, s=look["src"]: _src(r) == s)
        assert rk is None or rk > 1, (look, res)
    # the evidence is the scanner's probes, to distinct hosts
    ids = _events(top)
    assert len(ids) >= 10, top
    rows = _sessions_of(env, store, ids[:5])
    assert all(r["source"]["ip"] == t["src"] for r in rows), rows
    assert len({r["destination"]["ip"] for r in rows}) == 5, rows
    # the monitoring server's checks stay far below even with thresholds at their floor
    res, _ = env.hunt(store, "scan", "--param", "min_hosts=2", "--param", "min_ports=2")
    mon = [r for r in res if _src(r) == "10.1.1.50"]
    assert all(r["hunt"]["score"] < res[0]["hunt"]["score"] / 2 for r in mon), mon


def test_scan_own_vertical_sweep_trace(env):
    store = own_store(env)
    res, _ = env.hunt(store, "scan")
    by = {_src(r): r for r in res}
    v = by.get("203.0.113.99")
    assert v and _dst(v) == "10.1.0.1" and _detail(v).startswith("vertical: 400 ports"), res
    assert _attack(v) == ["T1595.001"], v
    p = by.get("10.1.10.30")
    assert p and "icmp echo" in _detail(p), res
    assert "10.1.10.31" not in by, "traceroute is no scan: %s" % by["10.1.10.31"]
    assert "10.1.1.50" not in by, "monitoring is no scan: %s" % by["10.1.1.50"]
    # an internal sweep outranks an internet scan of the same breadth
    assert len(res) == 2, res


def test_scan_real_captures_quiet(env):
    # rpcdump-style EPM enumeration is one connection: no fan-out, not a scan (remote-exec's)
    store = env.attack_store("discovery_scan_dcerpc_endpoint_mapper.pcapng",
                             "LM_psexec_smb_dcerpc_epm_svcctl.pcapng",
                             "CA_kerbrute_passwordspray_kerberos_AS-REQ.pcapng",
                             "cmds_over_dns_txt_queries_and_reponses.pcap")
    res, run = env.hunt(store, "scan")
    assert res == [], res


def test_scan_bad_params(env):
    store = own_store(env)
    p = env.run("hunt", "run", "scan", "--store", store, "--param", "udp_ignore=53 x",
                check=False)
    assert p.returncode == 1 and "not a list of ports" in p.stderr, p.stderr
    p = env.run("hunt", "run", "scan", "--store", store, "--param", "window=0", check=False)
    assert p.returncode == 1 and "window" in p.stderr, p.stderr


# ------------------------------------------------------------------ cross-zone


def test_cross_zone_generated_default_zones(env):
    store, _ = env.hunt_store()
    t = _one(env, "cross-zone")
    res, _ = env.hunt(store, "cross-zone")
    assert rank_of(res, lambda r: _src(r) == t["src"]) == 1, res[:3]
    top = res[0]
    for port in t["name"].split(","):
        assert ":%s " % port in _detail(top), top
    assert t["dst"] in _detail(top), top
    # the affiliate users of the intranet web are not admin access at all
    assert not any(_dst(r) == "10.1.1.40" for r in res), res
    rows = _sessions_of(env, store, _events(top))
    assert {r["source"]["ip"] for r in rows} == {t["src"]}, rows
    assert {r["destination"]["port"] for r in rows} >= {445, 3389}, rows


def test_cross_zone_generated_named_zones(env):
    store, _ = env.hunt_store()
    t = _one(env, "cross-zone")
    res, _ = env.hunt(store, "cross-zone", "--zone", "hq=10.1.0.0/16", "--zone",
                      "affiliate=10.50.0.0/16")
    assert rank_of(res, lambda r: _src(r) == t["src"]) == 1, res[:3]
    assert _detail(res[0]).startswith("affiliate -> hq:"), res[0]
    # with the web ports in the list, the intranet users are baseline, never new
    res, _ = env.hunt(store, "cross-zone", "--param", "ports=80 443 445 3389")
    assert rank_of(res, lambda r: _src(r) == t["src"]) == 1, res[:3]
    assert not any(_dst(r) == "10.1.1.40" for r in res), res


def test_cross_zone_own_zone_habit(env):
    store = own_store(env)
    res, _ = env.hunt(store, "cross-zone")
    assert [_src(r) for r in res] == ["10.50.1.7"], res
    d = _detail(res[0])
    # FS01's SMB is the zone's daily habit (10.50.1.9): not new for 10.50.1.7 either
    assert "10.1.1.20:445" not in d and "10.1.1.10:445" in d and "10.1.1.10:3389" in d, d
    assert "10.1.1.30:22 (SSH) unanswered" in d, d
    assert "no admin access between these zones before" not in res[0]["hunt"]["explanation"], res[0]


def test_cross_zone_real_psexec_with_zones(env):
    store = env.attack_store("LM_psexec_smb_dcerpc_epm_svcctl.pcapng")
    # one /16: no zones cross, nothing to say
    res, _ = env.hunt(store, "cross-zone")
    assert res == [], res
    # the admin workstation and the target in zones of their own: PsExec's SMB + RPC surface
    res, _ = env.hunt(store, "cross-zone", "--zone", "clients=172.16.66.1/32", "--zone",
                      "servers=172.16.66.36/32")
    assert rank_of(res, lambda r: _src(r) == "172.16.66.1" and _dst(r) == "172.16.66.36") == 1
    assert "172.16.66.36:445 (SMB)" in _detail(res[0]), res[0]
    assert "no baseline" in res[0]["hunt"]["explanation"], res[0]


# ------------------------------------------------------------------ edge-probe


def test_edge_probe_generated(env):
    store, _ = env.hunt_store()
    t = _one(env, "edge-probe")
    res, _ = env.hunt(store, "edge-probe")
    assert rank_of(res, lambda r: _src(r) == t["src"] and _dst(r) == t["dst"]) == 1, res[:3]
    top = res[0]
    assert "T1190" in _attack(top), top
    rows = _sessions_of(env, store, _events(top)[:3])
    urls = [rec["url"]["original"] for r in rows for rec in r.get("records", []) if "url" in rec]
    assert urls and all(r["source"]["ip"] == t["src"] for r in rows), rows
    assert any(".." in u for u in urls), urls
    # the appliance's new SMB and LDAP to the DC: the second result
    piv = [r for r in res if _src(r) == t["dst"]]
    assert len(piv) == 1 and rank_of(res, lambda r: _src(r) == t["dst"]) == 2, res
    assert "10.1.1.10:445" in _detail(piv[0]) and "10.1.1.10:389" in _detail(piv[0]), piv
    # VPN users' TLS is no probe
    assert len(res) == 2, res


def test_edge_probe_own(env):
    store = own_store(env)
    res, _ = env.hunt(store, "edge-probe")
    pairs = [(_src(r), _dst(r)) for r in res]
    assert pairs[0] == ("203.0.113.50", "10.1.0.1"), res
    assert ("10.1.0.1", "10.1.1.10") in pairs, res
    piv = [r for r in res if _src(r) == "10.1.0.1"][0]
    # its routine LDAP is baseline; only the SMB is new
    assert _detail(piv) == "new: 10.1.1.10:445 (SMB)", piv
    # a lone traversal request and a portal user's login page are not results
    assert "192.0.2.77" not in [p[0] for p in pairs], res
    assert "198.51.100.3" not in [p[0] for p in pairs], res


def test_edge_probe_real_quiet(env):
    store = env.attack_store("LM_psexec_smb_dcerpc_epm_svcctl.pcapng",
                             "cmds_over_dns_txt_queries_and_reponses.pcap")
    res, _ = env.hunt(store, "edge-probe")
    assert res == [], res


# ------------------------------------------------------------------ mft-theft


def test_mft_theft_generated(env):
    store, _ = env.hunt_store()
    t = _one(env, "mft-theft")
    res, _ = env.hunt(store, "mft-theft")
    assert rank_of(res, lambda r: _src(r) == t["src"] and _dst(r) == t["dst"]) == 1, res[:3]
    for look in env.truth("mft-theft", threat=False):
        rk = rank_of(res, lambda r, s=look["src"]: _src(r) == s)
        assert rk is None or rk > 1, (look, res)
    top = res[0]
    assert "never seen before" in top["hunt"]["explanation"], top
    rows = _sessions_of(env, store, _events(top)[:4])
    assert all(r["source"]["ip"] == t["src"] for r in rows), rows
    # the heaviest sessions first
    sizes = [r["destination"]["bytes"] for r in rows]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > 1000000, sizes


def test_mft_theft_own(env):
    store = own_store(env)
    res, _ = env.hunt(store, "mft-theft")
    assert [_src(r) for r in res] == ["203.0.113.66"], res
    # the big partner pulls 60 MB every day: measured against its own days, it scores low
    res, _ = env.hunt(store, "mft-theft", "--param", "min_bytes=1M", "--param", "min_ratio=0")
    big = [r for r in res if _src(r) == "198.51.100.200"]
    assert big and big[0]["hunt"]["score"] < 0.1, big
    assert rank_of(res, lambda r: _src(r) == "203.0.113.66") == 1, res

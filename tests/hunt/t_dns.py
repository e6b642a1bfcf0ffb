"""dns-tunnel, nxdomain and krb-spray: the generated hunt scenario and the real captures."""
import glob
import json
import os
import sys

from run import _shared, rank_of

TUNNEL_CAPTURES = {
    # capture: (victim, registered domain) — MANIFEST.md of ../shared/attacks
    "cmds_over_dns_txt_queries_and_reponses.pcap": ("192.168.100.121", "ostrykebs.pl"),
    "dns2tcp.pcap": ("192.168.1.17", "hsc.fr"),
    "dnsextrator.pcap": ("192.168.1.102", "hsc.fr"),
}
KERBRUTE = "CA_kerbrute_passwordspray_kerberos_AS-REQ.pcapng"


def session(env, store, eid):
    """The stored session of one event id, with its records (asserts it is exactly one)."""
    p = env.run("query", "--store", store, "--json", "event.id == %s" % eid)
    rows = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    pieces = {r["konseki"]["piece"] for r in rows}
    assert rows and len(pieces) == len(rows), "event.id %s: %d rows" % (eid, len(rows))
    recs = [x for r in rows for x in r.get("records", [])]
    return rows[0], recs


def qnames(recs):
    return [r["dns"]["question"]["name"] for r in recs if "dns" in r and "question" in r["dns"]]


def check_dns_evidence(env, store, r, src, domain):
    """Every evidence id is a real DNS session of src asking a name under domain."""
    ids = r["event"]["id"]
    assert ids, r
    for eid in ids:
        s, recs = session(env, store, eid)
        assert s["source"]["ip"] == src, (eid, s["source"])
        names = qnames(recs)
        assert any(n == domain or n.endswith("." + domain) for n in names), (eid, names)


def others_below(res, r):
    """Every other unsuppressed result scores below r."""
    for x in res:
        if x is not r and not x["hunt"].get("suppressed"):
            assert x["hunt"]["score"] < r["hunt"]["score"], (x["hunt"], r["hunt"])


# ---------------------------------------------------------------- dns-tunnel

def test_dns_tunnel_generated(env):
    store, _ = env.hunt_store()
    (t,) = env.truth("dns-tunnel", threat=True)
    domain = t["name"].split(".", 1)[1] if t["name"].startswith("t.") else t["name"]
    res, run = env.hunt(store, "dns-tunnel")
    rk = rank_of(res, lambda r: r["source"]["ip"] == t["src"] and r["url"]["domain"] == domain)
    assert rk == 1, [x["hunt"]["explanation"] for x in res[:3]]
    r = res[0]
    assert r["hunt"]["sessions"] == t["sessions"], (r["hunt"]["sessions"], t["sessions"])
    assert r["hunt"]["score"] >= 0.9, r["hunt"]
    assert "T1071.004" in r["threat"]["technique"]["id"], r
    assert "%d queries" % t["sessions"] in r["hunt"]["explanation"], r["hunt"]["explanation"]
    check_dns_evidence(env, store, r, t["src"], domain)
    others_below(res, r)
    # The look-alike (short unique CDN names from every workstation) is not a result.
    for la in env.truth("dns-tunnel", threat=False):
        assert rank_of(res, lambda x: x.get("url", {}).get("domain") == la["name"]) is None, la


def test_dns_tunnel_real_captures_each(env):
    """Each real DNS tunnel / DNS C2 capture alone: its victim and domain rank first, defaults."""
    for cap, (victim, domain) in TUNNEL_CAPTURES.items():
        store = env.attack_store(cap)
        res, _ = env.hunt(store, "dns-tunnel")
        rk = rank_of(res, lambda r: r["source"]["ip"] == victim and r["url"]["domain"] == domain)
        assert rk == 1, (cap, [x["hunt"]["explanation"] for x in res[:3]])
        assert res[0]["hunt"]["score"] >= 0.5, (cap, res[0]["hunt"])
        check_dns_evidence(env, store, res[0], victim, domain)


def test_dns_tunnel_real_captures_together(env):
    """All three in one store: all three surface, as the top three results."""
    store = env.attack_store(*TUNNEL_CAPTURES)
    res, _ = env.hunt(store, "dns-tunnel")
    for cap, (victim, domain) in TUNNEL_CAPTURES.items():
        rk = rank_of(res, lambda r: r["source"]["ip"] == victim and r["url"]["domain"] == domain)
        assert rk is not None and rk <= 3, (cap, rk)


def test_dns_tunnel_polling_explained(env):
    """The PowerShell TXT C2 polls one name 32 times: the explanation says so, narrower ATT&CK."""
    store = env.attack_store("cmds_over_dns_txt_queries_and_reponses.pcap")
    res, _ = env.hunt(store, "dns-tunnel")
    e = res[0]["hunt"]["explanation"]
    assert "50 queries (50 TXT" in e and "one name asked 32 times" in e, e
    assert res[0]["threat"]["technique"]["id"] == ["T1071.004"], res[0]["threat"]


def test_dns_tunnel_params(env):
    store = env.attack_store("dns2tcp.pcap")
    # min_queries above the capture's 22 queries: no result; the threshold is real.
    res, run = env.hunt(store, "dns-tunnel", "--param", "min_queries=23")
    assert run["hunt"]["run"]["results"] == 0, res
    p = env.run("hunt", "run", "dns-tunnel", "--store", store, "--param", "label_hi=5",
                check=False)
    assert p.returncode == 1 and "label_hi" in p.stderr, (p.returncode, p.stderr)


# ---------------------------------------------------------------- nxdomain

def test_nxdomain_generated(env):
    store, _ = env.hunt_store()
    (t,) = env.truth("nxdomain", threat=True)
    res, _ = env.hunt(store, "nxdomain")
    assert rank_of(res, lambda r: r["source"]["ip"] == t["src"]) == 1, \
        [x["hunt"]["explanation"] for x in res[:3]]
    r = res[0]
    others_below(res, r)
    e = r["hunt"]["explanation"]
    # 180 planted DGA names, all NXDOMAIN, each its own registered domain (plus the host's own
    # search-suffix miss under corp.example)
    assert r["hunt"]["sessions"] >= t["sessions"], (r["hunt"]["sessions"], t["sessions"])
    assert "under %d registered domains" % (t["sessions"] + 1) in e, e
    assert "T1568.002" in r["threat"]["technique"]["id"], r
    for eid in r["event"]["id"]:
        s, recs = session(env, store, eid)
        assert s["source"]["ip"] == t["src"], s["source"]
        assert any(x["dns"].get("response_code") == "NXDOMAIN" for x in recs if "dns" in x), recs
    # Look-alikes (wpad search-suffix misses, typos from the workstations) are not results.
    assert len([x for x in res if not x["hunt"].get("suppressed")]) == 1, \
        [x["hunt"]["explanation"] for x in res]


def test_nxdomain_quiet_on_tunnel_capture(env):
    """The PowerShell C2 host gets 49 NXDOMAINs for one reverse name: not a DGA storm."""
    store = env.attack_store("cmds_over_dns_txt_queries_and_reponses.pcap")
    res, run = env.hunt(store, "nxdomain")
    assert run["hunt"]["run"]["results"] == 0, [x["hunt"]["explanation"] for x in res]
    # with every gate open it is seen, and scores low
    res, _ = env.hunt(store, "nxdomain", "--param", "min_domains=1", "--param", "min_score=0")
    assert len(res) == 1 and res[0]["hunt"]["score"] < 0.1, res


# ---------------------------------------------------------------- krb-spray

def test_krb_spray_generated(env):
    store, _ = env.hunt_store()
    (t,) = env.truth("krb-spray", threat=True)
    res, _ = env.hunt(store, "krb-spray")
    rk = rank_of(res, lambda r: r["source"]["ip"] == t["src"] and r["destination"]["ip"] == t["dst"])
    assert rk == 1, [x["hunt"]["explanation"] for x in res[:3]]
    r = res[0]
    others_below(res, r)
    e = r["hunt"]["explanation"]
    assert "30 of them within" in e, e
    assert "T1110.003" in r["threat"]["technique"]["id"], r
    for eid in r["event"]["id"]:
        s, recs = session(env, store, eid)
        assert s["source"]["ip"] == t["src"] and s["destination"]["ip"] == t["dst"], s
        assert any("krb" in x for x in recs), recs
    # The morning logons of every workstation are not results.
    assert len([x for x in res if not x["hunt"].get("suppressed")]) == 1, \
        [x["hunt"]["explanation"] for x in res]


def test_krb_spray_kerbrute(env):
    store = env.attack_store(KERBRUTE)
    res, _ = env.hunt(store, "krb-spray")
    rk = rank_of(res, lambda r: r["source"]["ip"] == "172.16.66.1"
                 and r["destination"]["ip"] == "172.16.66.36")
    assert rk == 1, res
    r = res[0]
    e = r["hunt"]["explanation"]
    assert "tried 10 users (14 AS-REQs)" in e and "7 unknown users" in e, e
    assert "PASSWORD FOUND" in e and "normal" in e, e
    assert r["konseki"]["detail"] == "password found: normal", r["konseki"]
    assert r["hunt"]["score"] >= 0.7, r["hunt"]
    # The most telling evidence first: the AS-REP that gave `normal` its ticket.
    s, recs = session(env, store, r["event"]["id"][0])
    k = [x["krb"] for x in recs if "krb" in x]
    assert k and k[0]["cname"] == "normal" and k[0]["success"] is True, k
    # per user its first try, its first failure and its success: 13 of the 14 AS-REQ sessions
    # (the RESPONSE_TOO_BIG retry of `normal` is none of these)
    assert len(r["event"]["id"]) == 13 and r["hunt"]["sessions"] == 14, r


def test_krb_spray_window_and_threshold(env):
    store = env.attack_store(KERBRUTE)
    # 9 users failed: demanding 10 leaves no result
    res, run = env.hunt(store, "krb-spray", "--param", "min_failed=10")
    assert run["hunt"]["run"]["results"] == 0, res
    # the AS-REQs span 25 ms: a 5 ms window holds fewer users than the default hour
    res, _ = env.hunt(store, "krb-spray")
    assert "10 of them within 60 min" in res[0]["hunt"]["explanation"], res[0]["hunt"]
    res2, _ = env.hunt(store, "krb-spray", "--param", "window=0.005s")
    assert "8 of them within 5 ms" in res2[0]["hunt"]["explanation"], res2[0]["hunt"]
    assert res2[0]["hunt"]["score"] < res[0]["hunt"]["score"], (res2[0]["hunt"], res[0]["hunt"])


def test_no_dns_no_krb(env):
    """Captures without DNS or Kerberos: every hunt runs, finds nothing, and says what is missing."""
    store = env.attack_store("LM_psexec_smb_dcerpc_epm_svcctl.pcapng",
                             "discovery_scan_dcerpc_endpoint_mapper.pcapng")
    for name, need in (("dns-tunnel", "dns"), ("nxdomain", "dns"), ("krb-spray", "krb")):
        res, run = env.hunt(store, name)
        assert run["hunt"]["run"]["results"] == 0 and not res, (name, res)
        assert need in run["hunt"]["run"]["coverage"]["missing"].split(), (name, run)


def test_benign_dns_corpus_quiet(env):
    """The DNS captures of ../shared/corpus (dig, TXT, MX, NXDOMAIN, DNS over TCP, TKEY with a
    long GSS-TSIG name, DNSSEC, an IPv6 trace with ANY queries): no tunnel, no DGA storm."""
    root = _shared("corpus")
    paths = sorted(p for p in glob.glob(os.path.join(root, "**", "*.pcap*"), recursive=True)
                   if "dns" in os.path.relpath(p, root).lower() or p.endswith("/v6.pcap"))
    if len(paths) < 5:
        raise sys.modules[type(env).__module__].Skip("DNS captures of %s not present" % root)
    store = os.path.join(env.tmp, "dns-corpus")
    env.run("ingest", "--store", store, *paths)
    for name in ("dns-tunnel", "nxdomain"):
        res, run = env.hunt(store, name)
        assert run["hunt"]["run"]["results"] == 0, (name, [x["hunt"]["explanation"] for x in res])
        assert run["hunt"]["run"]["coverage"]["missing"] == "", run

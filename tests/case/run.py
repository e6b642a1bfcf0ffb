#!/usr/bin/env python3
"""Hunt cases end to end: konseki case new|list|show|run|finding|export.

  tests/case/run.py BUILD_DIR [-k SUBSTRING]

A store is built from the generator's `plant` scenario (DNS, HTTP with file hashes, TLS 1.2 with
a self-signed certificate, SSH, Kerberos, SMB) inside a generated enterprise mix.  Findings are
set on planted sessions; every export format is checked against its format's rules (STIX 2.1
required properties, identifier and timestamp forms and pattern grammar; MISP attribute types
and categories; Suricata rule syntax; Zeek intel columns and types; CSV) and imported back
through `konseki ioc import` into a fresh copy of the store, where `ioc match` must find the
malicious sessions again.  Ends with "case: N passed, N failed".
"""
import csv
import io
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# planted sessions (konseki-gen --scenario plant): event ids in the plant capture's ingest
DNS_WWW = "0000000100000001"  # www.example.com, internal resolver
HTTP = "000000010000000e"  # 10.1.1.18 -> 203.0.113.80:80, two downloads with file hashes
TLS = "000000010000000f"  # 10.1.1.18 -> 198.51.100.43:443, SNI secure.example.net, own cert
SMB = "0000000100000012"  # 10.1.1.19 -> 10.0.0.25:445, PsExec-like, internal
MALICIOUS = {DNS_WWW, HTTP, TLS}


class Env:
    def __init__(self, build, tmp):
        self.konseki = os.path.join(os.path.abspath(build), "konseki")
        self.gen = os.path.join(ROOT, "build", "konseki-gen")
        self.tmp = tmp
        self.n = 0
        plant = os.path.join(tmp, "plant.pcap")
        mix = os.path.join(tmp, "mix.pcap")
        subprocess.run([self.gen, "--scenario", "plant", "-o", plant], check=True)
        subprocess.run([self.gen, "--seed", "7", "--mix", "small", "--sessions", "2000",
                        "--start", "2024-01-15T08:00:00Z", "--duration", "4h", "-o", mix],
                       check=True)
        # the plant first, so its sessions keep the ids above
        self.pristine = os.path.join(tmp, "pristine")
        self.run("ingest", "-q", "--store", self.pristine, plant, mix)

    def run(self, *args, check=True):
        p = subprocess.run([self.konseki, *args], capture_output=True, text=True)
        if check and p.returncode != 0:
            raise AssertionError("konseki %s: exit %d: %s" % (" ".join(args), p.returncode,
                                                              p.stderr.strip()))
        return p

    def store(self):
        """A fresh copy of the ingested store (no cases, no indicators)."""
        self.n += 1
        d = os.path.join(self.tmp, "store%d" % self.n)
        shutil.copytree(self.pristine, d)
        return d

    def new_case(self, store, *extra):
        p = self.run("case", "new", "--store", store, "--json", "--hypothesis",
                     "A workstation fetched tooling over HTTP and beacons over TLS", *extra)
        return json.loads(p.stdout)["id"]

    def case_with_findings(self):
        """A store and case with the three malicious findings and one benign one."""
        st = self.store()
        cid = self.new_case(st, "--attack", "T1105,T1071.001")
        for ev, v in ((HTTP, "malicious"), (TLS, "malicious"), (DNS_WWW, "malicious"),
                      (SMB, "benign")):
            self.run("case", "finding", "--store", st, str(cid), "--session", ev,
                     "--verdict", v, "--note", "planted " + ev)
        return st, cid

    def export(self, st, cid, fmt, name, *extra):
        out = os.path.join(self.tmp, "exp%d" % self.n)
        os.makedirs(out, exist_ok=True)
        path = os.path.join(out, name)
        p = self.run("case", "export", "--store", st, str(cid), "--format", fmt, "-o", path,
                     *extra)
        return path, p.stdout

    def matched_sessions(self, files, *extra):
        """Import files into a fresh copy of the store; the sessions `ioc match` finds."""
        st = self.store()
        self.run("ioc", "import", "--store", st, "--source", "roundtrip", *extra, *files)
        p = self.run("ioc", "match", "--store", st, "--no-sweep", "--json")
        found = {}
        for line in p.stdout.splitlines():
            d = json.loads(line)
            for e in d["threat"]["enrichments"]:
                found.setdefault(d["event"]["id"], set()).add(
                    (e["matched"]["field"], e["matched"]["atomic"]))
        return found


def eq(a, b, what=""):
    if a != b:
        raise AssertionError("%s: %r != %r" % (what, a, b))


def true(c, what):
    if not c:
        raise AssertionError(what)


# ---------------------------------------------------------------- cases, runs, findings

def test_new_list_show(env):
    st = env.store()
    p = env.run("case", "new", "--store", st, "--hypothesis", "Affiliate pivot into HQ",
                "--attack", "t1199, T1567.002", "--scope", "10.1.1.0/24,internal",
                "--since", "2024-01-15T08:00:00Z", "--until", "2024-01-15T12:00:00Z", "--json")
    c = json.loads(p.stdout)
    eq(c["attack"], ["T1199", "T1567.002"], "attack ids normalised")
    eq(c["scope"], ["10.1.1.0/24", "internal"], "scope")
    eq(c["since"], "2024-01-15T08:00:00Z", "since")
    eq(c["until"], "2024-01-15T12:00:00Z", "until")
    c2 = env.new_case(st)
    eq(c2, c["id"] + 1, "ids increase")
    lines = env.run("case", "list", "--store", st, "--json").stdout.splitlines()
    eq([json.loads(x)["id"] for x in lines], [c["id"], c2], "list")
    text = env.run("case", "list", "--store", st).stdout
    true("Affiliate pivot into HQ" in text, "list shows the hypothesis")
    show = json.loads(env.run("case", "show", "--store", st, str(c["id"]), "--json").stdout)
    eq(show["case"]["hypothesis"], "Affiliate pivot into HQ", "show")
    eq(show["runs"], [], "no runs yet")
    eq(show["findings"], [], "no findings yet")


def test_user_errors_exit_1(env):
    st = env.store()
    cid = env.new_case(st)
    bad = [
        ("case", "new", "--store", st),  # no hypothesis
        ("case", "new", "--store", st, "--hypothesis", "x", "--attack", "T12"),
        ("case", "new", "--store", st, "--hypothesis", "x", "--scope", "hq-servers"),
        ("case", "new", "--store", st, "--hypothesis", "x", "--scope", "10.0.0.0/33"),
        ("case", "new", "--store", st, "--hypothesis", "x", "--since", "yesterday-ish"),
        ("case", "show", "--store", st, "99"),
        ("case", "show", "--store", st, "one"),
        ("case", "run", "--store", st, "99", "long-conn"),
        ("case", "run", "--store", st, str(cid), "no-such-hunt && ("),
        ("case", "finding", "--store", st, str(cid), "--session", "00000001000000ff",
         "--verdict", "malicious"),
        ("case", "finding", "--store", st, str(cid), "--session", HTTP, "--verdict", "evil"),
        ("case", "finding", "--store", st, str(cid), "--session", "zz", "--verdict", "benign"),
        ("case", "export", "--store", st, str(cid), "--format", "stix", "-o",
         os.path.join(env.tmp, "none.json")),  # no malicious findings yet
        ("case", "export", "--store", st, str(cid), "--format", "yara", "-o", "x"),
        ("case", "bogus", "--store", st),
        ("case", "new", "--store", os.path.join(env.tmp, "no-store"), "--hypothesis", "x"),
    ]
    for args in bad:
        p = env.run(*args, check=False)
        eq(p.returncode, 1, " ".join(args[:2] + args[3:]))
        true(p.stderr.startswith("konseki: ") and p.stderr.count("\n") == 1,
             "one error line: %r" % p.stderr)
    p = env.run("case", "run", "--store", st, str(cid), "no-such-hunt && (", check=False)
    true("no hunt" in p.stderr and "column" in p.stderr, p.stderr)
    p = env.run("case", "finding", "--store", st, str(cid), "--session", "00000001000000ff",
                "--verdict", "malicious", check=False)
    true("no session 00000001000000ff" in p.stderr, p.stderr)


def test_run_query_within_range_and_scope(env):
    st = env.store()
    cid = env.new_case(st)
    p = env.run("case", "run", "--store", st, str(cid), "ip.dst == 203.0.113.80", "--json")
    ids = {json.loads(x)["event"]["id"] for x in p.stdout.splitlines()}
    eq(ids, {HTTP}, "query run prints the matching sessions")
    # a case whose range ends before the plant sees nothing; one scoped to another host neither
    early = env.new_case(st, "--until", "2024-01-15T08:59:00Z")
    p = env.run("case", "run", "--store", st, str(early), "ip.dst == 203.0.113.80")
    true("run " in p.stdout and ": 0 sessions match" in p.stdout, p.stdout)
    other = env.new_case(st, "--scope", "10.1.1.19")
    p = env.run("case", "run", "--store", st, str(other), "port.dst == [80, 443, 445]", "--json")
    rows = [json.loads(x) for x in p.stdout.splitlines()]
    for r in rows:
        true("10.1.1.19" in (r["source"]["ip"], r["destination"]["ip"]),
             "outside the scope: %s" % r["event"]["id"])
    true(SMB in {r["event"]["id"] for r in rows}, "SMB in scope")
    everyone = env.run("query", "--store", st, "port.dst == [80, 443, 445]").stdout
    true(len(everyone.splitlines()) - 1 > len(rows), "the scope removed other hosts' sessions")
    show = json.loads(env.run("case", "show", "--store", st, str(cid), "--json").stdout)
    eq(len(show["runs"]), 1, "one run recorded")
    r = show["runs"][0]
    eq((r["kind"], r["query"]), ("query", "ip.dst == 203.0.113.80"), "run")
    true(r["started"] is not None, "run has its start time")
    text = env.run("case", "show", "--store", st, str(cid)).stdout
    true("query  ip.dst == 203.0.113.80" in text and "1 session" in text, text)
    # runs belong to their case: `hunt runs` lists them with case_id
    runs = [json.loads(x) for x in env.run("hunt", "runs", "--store", st, "--json")
            .stdout.splitlines()]
    eq(sorted({x["case_id"] for x in runs}), sorted({cid, early, other}), "case ids of runs")


HUNT_FILE = """name = tls-clients
id = KH-T001
kind = query
title = Every TLS client (a test hunt)
hypothesis = A client that speaks TLS may be a beacon.
attack = T1071.001
needs = sessions
param.query = port.dst == 443
param.group = src
param.min_sessions = 1
param.half = 5
"""


def test_run_hunt_recorded_and_scoped(env):
    st = env.store()
    # a user hunt (kind query) grouping TLS sessions by client: many results in the mix
    os.makedirs(os.path.join(st, "hunts"), exist_ok=True)
    with open(os.path.join(st, "hunts", "tls-clients.hunt"), "w") as f:
        f.write(HUNT_FILE)
    cid = env.new_case(st)
    p = env.run("case", "run", "--store", st, str(cid), "tls-clients", "--json")
    res = [json.loads(x) for x in p.stdout.splitlines()]
    summary = res[-1]["hunt"]
    eq(summary["name"], "tls-clients", "hunt ran")
    n_all = summary["run"]["results"]
    true(n_all >= 5, "the mix has TLS clients: %d" % n_all)
    scoped = env.new_case(st, "--scope", "10.1.1.18")
    p = env.run("case", "run", "--store", st, str(scoped), "tls-clients", "--json")
    res2 = [json.loads(x) for x in p.stdout.splitlines()]
    eq(res2[-1]["hunt"]["run"]["results"], 1, "only the scoped host's result")
    eq(res2[0]["source"]["ip"], "10.1.1.18", "scoped result")
    true(TLS in res2[0]["event"]["id"], "its evidence is the planted TLS session")
    text = env.run("case", "run", "--store", st, str(scoped), "tls-clients").stdout
    true("%d results outside the case's scope left out" % (n_all - 1) in text, text)
    show = json.loads(env.run("case", "show", "--store", st, str(scoped), "--json").stdout)
    eq([r["hunt"] for r in show["runs"]], ["tls-clients", "tls-clients"], "hunt runs recorded")
    eq([r["results"] for r in show["runs"]], [1, 1], "recorded results are the scoped ones")
    # a case range before the data: the hunt sees nothing
    early = env.new_case(st, "--until", "2024-01-15T07:00:00Z")
    p = env.run("case", "run", "--store", st, str(early), "tls-clients", "--json")
    eq(json.loads(p.stdout.splitlines()[-1])["hunt"]["run"]["results"], 0, "range")


def test_finding_snapshot_and_replace(env):
    st = env.store()
    cid = env.new_case(st)
    p = env.run("case", "finding", "--store", st, str(cid), "--session", TLS, "--verdict",
                "suspicious", "--note", "self-signed", "--json")
    f = json.loads(p.stdout)
    eq((f["verdict"], f["event_id"]), ("suspicious", TLS), "finding")
    eq(f["session"]["destination_ip"], "198.51.100.43", "summary")
    eq(f["session"]["protocol"], "tls", "summary protocol")
    p = env.run("case", "finding", "--store", st, str(cid), "--session", TLS, "--verdict",
                "malicious", "--note", "C2 confirmed")
    true("updated" in p.stdout, p.stdout)
    show = json.loads(env.run("case", "show", "--store", st, str(cid), "--json").stdout)
    eq(len(show["findings"]), 1, "a second verdict replaces the first")
    fi = show["findings"][0]
    eq((fi["id"], fi["verdict"], fi["note"]), (f["id"], "malicious", "C2 confirmed"), "replaced")
    snap = fi["snapshot"]
    eq(snap[0]["event"]["id"], TLS, "snapshot is the session")
    tls = [r["tls"] for r in snap[0]["records"] if "tls" in r]
    eq(tls[0]["client"]["ja3"], "ddbd6dcac4a3a7624912e37036fef3c9", "snapshot keeps records")
    eq(tls[0]["server"]["hash"]["sha1"], "506b870bff352f27cb98e2a72cef0e15390ef395", "cert")
    # the snapshot is what `konseki query --json` prints
    q = json.loads(env.run("query", "--store", st, "--json", "event.id == " + TLS).stdout)
    eq(snap[0], q, "snapshot == query --json")


def test_findings_survive_retention(env):
    st, cid = env.case_with_findings()
    before = env.run("case", "show", "--store", st, str(cid), "--json").stdout
    # the mix runs to noon, the plant is at 09:00: keep the last hour only
    env.run("prune", "--store", st, "--retain", "1h")
    q = env.run("query", "--store", st, "event.id == " + HTTP).stdout.splitlines()
    eq(len(q), 1, "the planted session is gone from the store")  # header only
    after = env.run("case", "show", "--store", st, str(cid), "--json").stdout
    eq(json.loads(after)["findings"], json.loads(before)["findings"], "findings unchanged")
    path, _ = env.export(st, cid, "csv", "after-prune.csv")
    with open(path) as f:
        true("203.0.113.80" in f.read(), "export works from snapshots alone")


# ---------------------------------------------------------------- what is extracted

PRIVATE = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")


def exported_csv(env):
    st, cid = env.case_with_findings()
    path, msg = env.export(st, cid, "csv", "c.csv")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return rows, msg


def test_indicators_from_malicious_findings(env):
    rows, msg = exported_csv(env)
    got = {(r["type"], r["value"]) for r in rows}
    want = {
        ("ip", "203.0.113.80"), ("ip", "198.51.100.43"),
        ("domain", "www.example.com"), ("domain", "downloads.example.com"),
        ("domain", "secure.example.net"),
        ("url", "http://downloads.example.com/files/quarterly-report.pdf"),
        ("ja3", "ddbd6dcac4a3a7624912e37036fef3c9"),
        ("ja4", "t12d1210h2_d34a8e72043a_fae48490d0f6"),
        ("cert-sha1", "506b870bff352f27cb98e2a72cef0e15390ef395"),
        ("sha256", "902167882301d337e02ee86f4bf1f6c509a760ced72394e549a11af89c9aca51"),
    }
    true(want <= got, "missing: %s" % (want - got))
    types = {t for t, _ in got}
    true({"ua", "md5", "sha1", "cert-sha256"} <= types, "types: %s" % types)
    # internal hosts never become indicators; the benign SMB session gives nothing
    for r in rows:
        if r["type"] == "ip":
            a = ipaddress.ip_address(r["value"])
            true(not any(a in ipaddress.ip_network(n) for n in PRIVATE), "internal " + r["value"])
        true(SMB not in r["description"], "benign finding exported: %s" % r)
        eq(r["source"], "konseki-case-1", "source")
    true("from 3 malicious findings" in msg, msg)


# ---------------------------------------------------------------- format rules

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
STIX_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
# STIX 2.1 part 9 patterning, for the comparisons konseki writes: [path = 'string']
STIX_PATTERN = re.compile(r"^\[(?P<path>[a-z0-9-]+:[A-Za-z0-9_.'-]+) = '(?P<val>(?:[^'\\]|\\['\\])*)'\]$")
STIX_PATHS = {
    "ipv4-addr:value": "ip4", "ipv6-addr:value": "ip6", "domain-name:value": "domain",
    "url:value": "url",
    "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'": "ua",
    "x509-certificate:hashes.'SHA-1'": 40, "x509-certificate:hashes.'SHA-256'": 64,
    "file:hashes.MD5": 32, "file:hashes.'SHA-1'": 40, "file:hashes.'SHA-256'": 64,
}


def stix_id_ok(i, typ):
    t, _, u = i.partition("--")
    if t != typ or not UUID_RE.match(u):
        return False
    v = uuid.UUID(u)
    return v.variant == uuid.RFC_4122 and v.version in (4, 5)


def check_stix(bundle):
    """STIX 2.1 rules for what konseki writes; returns the indicators' (path, value)."""
    eq(bundle["type"], "bundle", "bundle type")
    true(stix_id_ok(bundle["id"], "bundle"), "bundle id " + bundle["id"])
    true("spec_version" not in bundle, "a 2.1 bundle has no spec_version")
    objs = bundle["objects"]
    true(objs, "objects must not be empty")
    ids = [o["id"] for o in objs]
    eq(len(ids), len(set(ids)), "ids unique")
    by_id = {o["id"]: o for o in objs}
    out = []
    for o in objs:
        for k in ("type", "spec_version", "id", "created", "modified"):
            true(k in o, "%s lacks %s" % (o.get("id"), k))
        eq(o["spec_version"], "2.1", "spec_version")
        true(stix_id_ok(o["id"], o["type"]), "id %s" % o["id"])
        for k in ("created", "modified", "valid_from", "published"):
            if k in o:
                true(STIX_TS.match(o[k]), "%s %s=%s" % (o["id"], k, o[k]))
        # created/modified: millisecond precision (3.2), modified not before created
        true(re.search(r"\.\d{3}Z$", o["created"]) and re.search(r"\.\d{3}Z$", o["modified"]),
             "millisecond timestamps")
        true(o["modified"] >= o["created"], "modified >= created")
        if "created_by_ref" in o:
            eq(by_id[o["created_by_ref"]]["type"], "identity", "created_by_ref")
        for k, v in o.items():
            true(re.match(r"^[a-z0-9_]{2,250}$", k), "property name %s" % k)
            true(v not in ("", [], {}), "%s: empty %s" % (o["id"], k))
        t = o["type"]
        if t == "identity":
            true(o["name"] and o["identity_class"] in ("individual", "group", "system",
                                                       "organization", "class", "unknown"),
                 "identity")
        elif t == "attack-pattern":
            true(o["name"], "attack-pattern name")
            ref = o["external_references"][0]
            eq(ref["source_name"], "mitre-attack", "ATT&CK reference")
            true(re.match(r"^T\d{4}(\.\d{3})?$", ref["external_id"]), "technique id")
        elif t == "indicator":
            for k in ("pattern", "pattern_type", "valid_from"):
                true(k in o, "indicator lacks " + k)
            eq(o["pattern_type"], "stix", "pattern_type")
            true(set(o["indicator_types"]) <= {
                "anomalous-activity", "anonymization", "benign", "compromised", "malicious-activity",
                "attribution", "unknown"}, "indicator_types vocabulary")
            m = STIX_PATTERN.match(o["pattern"])
            true(m, "pattern grammar: " + o["pattern"])
            path = m.group("path")
            val = re.sub(r"\\(['\\])", r"\1", m.group("val"))
            kind = STIX_PATHS.get(path)
            true(kind is not None, "unexpected object path " + path)
            if kind == "ip4":
                ipaddress.IPv4Address(val)
            elif kind == "ip6":
                ipaddress.IPv6Address(val)
            elif kind == "domain":
                true(re.match(r"^[a-z0-9.-]+$", val) and "." in val, "domain " + val)
            elif kind == "url":
                true(re.match(r"^https?://[^\s/]+/", val), "url " + val)
            elif isinstance(kind, int):
                true(re.match(r"^[0-9a-f]{%d}$" % kind, val), "hash " + val)
            out.append((path, val))
        elif t == "report":
            true(o["name"] and o["published"] and o["object_refs"], "report")
            for r in o["object_refs"]:
                true(r in by_id, "report refers to a missing object " + r)
        else:
            raise AssertionError("unexpected object type " + t)
    return out


def test_stix_bundle_follows_the_spec(env):
    st, cid = env.case_with_findings()
    path, msg = env.export(st, cid, "stix", "case.json")
    with open(path) as f:
        b = json.load(f)
    pats = check_stix(b)
    vals = {v for _, v in pats}
    true({"203.0.113.80", "secure.example.net",
          "506b870bff352f27cb98e2a72cef0e15390ef395"} <= vals, vals)
    true("left out, stix has no place for them: 1 ua, 1 ja3, 1 ja4" in msg, msg)
    reports = [o for o in b["objects"] if o["type"] == "report"]
    eq(len(reports[0]["object_refs"]), len(b["objects"]) - 1, "report refers to every object")
    # exporting again gives the same indicator ids (UUIDv5 over case and value)
    path2, _ = env.export(st, cid, "stix", "again.json")
    with open(path2) as f:
        b2 = json.load(f)
    ind = lambda x: sorted(o["id"] for o in x["objects"] if o["type"] == "indicator")
    eq(ind(b), ind(b2), "stable indicator ids")


MISP_TYPES = {  # type -> allowed categories (MISP describeTypes, the ones konseki writes)
    "ip-src": {"Network activity"}, "ip-dst": {"Network activity"},
    "domain": {"Network activity"}, "hostname": {"Network activity"},
    "url": {"Network activity"}, "user-agent": {"Network activity"},
    "ja3-fingerprint-md5": {"Network activity"},
    "x509-fingerprint-sha1": {"Network activity"}, "x509-fingerprint-sha256": {"Network activity"},
    "md5": {"Payload delivery"}, "sha1": {"Payload delivery"}, "sha256": {"Payload delivery"},
    "text": {"Other", "Network activity"},
}


def test_misp_event_types(env):
    st, cid = env.case_with_findings()
    path, _ = env.export(st, cid, "misp", "case.misp.json")
    with open(path) as f:
        ev = json.load(f)["Event"]
    true(ev["info"].startswith("konseki case 1: "), "info")
    true(re.match(r"^\d{4}-\d\d-\d\d$", ev["date"]), "date")
    true(UUID_RE.match(ev["uuid"]), "event uuid")
    seen = {}
    for a in ev["Attribute"] + [x for o in ev.get("Object", []) for x in o["Attribute"]]:
        true(a["type"] in MISP_TYPES, "type " + a["type"])
        true(a["category"] in MISP_TYPES[a["type"]], "%s in %s" % (a["type"], a["category"]))
        true(UUID_RE.match(a["uuid"]), "uuid")
        true(isinstance(a["to_ids"], bool), "to_ids")
        seen.setdefault(a["type"], []).append(a["value"])
    eq(sorted(seen["ip-dst"]), ["198.51.100.43", "203.0.113.80"], "ip-dst")
    eq(sorted(seen["hostname"]), ["downloads.example.com", "secure.example.net",
                                  "www.example.com"], "hostnames (not registered domains)")
    true("ddbd6dcac4a3a7624912e37036fef3c9" in seen["ja3-fingerprint-md5"], "ja3")
    obj = [o for o in ev["Object"] if o["name"] == "ja4-plus"]
    eq(len(obj), 1, "JA4 in a ja4-plus object")
    rel = {a["object_relation"]: a["value"] for a in obj[0]["Attribute"]}
    eq(rel, {"ja4-fingerprint": "t12d1210h2_d34a8e72043a_fae48490d0f6", "ja4-type": "JA4"}, "ja4")


SURI_RULE = re.compile(r"^(alert) (ip|dns|tls|http) (\S+) (\S+) (->) (\S+) (\S+) \((.*)\)$")
SURI_KEYWORDS = {"msg", "sid", "rev", "classtype", "metadata", "content", "endswith",
                 "startswith", "nocase", "dotprefix", "dataset", "dns.query", "tls.sni",
                 "http.host", "http.uri.raw", "http.user_agent", "ja3.hash", "ja4.hash",
                 "tls.cert_fingerprint", "filemd5", "filesha1", "filesha256"}
STICKY = {"dns.query", "tls.sni", "http.host", "http.uri.raw", "http.user_agent", "ja3.hash",
          "ja4.hash", "tls.cert_fingerprint"}


def suri_options(s):
    """Split at ';' outside quotes and not escaped; (name, value) pairs."""
    out, cur, q, i = [], "", False, 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            cur += s[i:i + 2]
            i += 2
            continue
        if c == '"':
            q = not q
        if c == ";" and not q:
            out.append(cur.strip())
            cur = ""
        else:
            cur += c
        i += 1
    true(not q and not cur.strip(), "unterminated option list: " + s)
    return [tuple(x.split(":", 1)) if ":" in x else (x, None) for x in out if x]


def check_suricata(path):
    sids, files = set(), []
    with open(path) as f:
        lines = f.read().splitlines()
    rules = [x for x in lines if x and not x.startswith("#")]
    for r in rules:
        m = SURI_RULE.match(r)
        true(m, "rule header: " + r)
        for addr in (m.group(3), m.group(6)):
            if addr != "any":
                for a in addr.strip("[]").split(","):
                    ipaddress.ip_address(a)
        opts = suri_options(m.group(8))
        names = [n for n, _ in opts]
        for n in names:
            true(n in SURI_KEYWORDS, "keyword " + n)
        true(names.count("sid") == 1 and names.count("rev") == 1 and names[0] == "msg",
             "msg first, one sid and rev: " + r)
        sticky = None
        for n, v in opts:
            if n in STICKY:
                sticky = n
            if n in ("msg", "content"):
                true(re.match(r'^"(?:[^"\\;]|\\["\\;])*"$', v), "quoted %s: %s" % (n, v))
            if n == "content":
                true(sticky is not None, "content without a sticky buffer: " + r)
                # bytes written as hex go between pipes, two upper-case digits each
                segs = v[1:-1].split("|")
                true(len(segs) % 2 == 1, "unbalanced | in " + v)
                for h in segs[1::2]:
                    true(re.match(r"^[0-9A-F]{2}( [0-9A-F]{2})*$", h), "hex bytes |%s|" % h)
            if n == "sid":
                sid = int(v)
                true(1600000000 <= sid < 4294967296 and sid not in sids, "sid %d" % sid)
                sids.add(sid)
            if n == "dataset":
                parts = [p.strip() for p in v.split(",")]
                eq(parts[0], "isset", "dataset op")
                true(parts[2] == "type string" and parts[3].startswith("load "), v)
                files.append(parts[3][5:])
            if n in ("filemd5", "filesha1", "filesha256"):
                files.append(v)
    for fn in files:
        true(os.path.exists(os.path.join(os.path.dirname(path), fn)), "side file " + fn)
    return rules, sorted(set(files))


def test_suricata_rules_syntax(env):
    st, cid = env.case_with_findings()
    path, msg = env.export(st, cid, "suricata", "case.rules")
    rules, files = check_suricata(path)
    true(any("tls.sni; dotprefix; content:\".secure.example.net\"; endswith" in r
             for r in rules), "SNI rule")
    true(any("-> [198.51.100.43,203.0.113.80] any" in r for r in rules), "address rule")
    eq(files, ["case-md5.lst", "case-sha1.lst", "case-sha256.lst"], "hash lists")
    path, msg = env.export(st, cid, "suricata", "sets.rules", "--datasets", "always")
    rules, files = check_suricata(path)
    eq(files, ["sets-md5.lst", "sets-names.lst", "sets-sha1.lst", "sets-sha256.lst"], "files")
    with open(os.path.join(os.path.dirname(path), "sets-names.lst")) as f:
        import base64
        names = sorted(base64.b64decode(x).decode() for x in f.read().split())
    eq(names, ["downloads.example.com", "secure.example.net", "www.example.com"], "dataset")


ZEEK_TYPES = {"Intel::ADDR", "Intel::SUBNET", "Intel::URL", "Intel::SOFTWARE", "Intel::EMAIL",
              "Intel::DOMAIN", "Intel::USER_NAME", "Intel::CERT_HASH", "Intel::PUBKEY_HASH",
              "Intel::FILE_HASH", "Intel::FILE_NAME"}


def test_zeek_intel_file(env):
    st, cid = env.case_with_findings()
    path, msg = env.export(st, cid, "zeek", "case.intel")
    with open(path) as f:
        lines = f.read().splitlines()
    eq(lines[0], "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc", "header")
    got = set()
    for x in lines[1:]:
        f = x.split("\t")
        eq(len(f), 4, "four columns: %r" % x)
        true(f[1] in ZEEK_TYPES, "a type Zeek defines: " + f[1])
        true(all(v and v != "-" for v in f[:3]), "no empty fields")
        if f[1] == "Intel::URL":
            true("://" not in f[0], "Zeek URLs have no scheme: " + f[0])
        got.add((f[1], f[0]))
    true(("Intel::URL", "downloads.example.com/files/quarterly-report.pdf") in got, "url")
    true(any(t == "Intel::SOFTWARE" for t, _ in got), "user-agent as SOFTWARE")
    true("left out, zeek has no place for them: 1 ja3, 1 ja4" in msg, msg)


# ---------------------------------------------------------------- round trip

def roundtrip(env, fmt, name, *extra):
    st, cid = env.case_with_findings()
    path, _ = env.export(st, cid, fmt, name, *extra)
    files = [path] + sorted(os.path.join(os.path.dirname(path), x)
                            for x in os.listdir(os.path.dirname(path)) if x.endswith(".lst"))
    found = env.matched_sessions(files)
    missing = MALICIOUS - set(found)
    true(not missing, "%s: sessions not found again: %s" % (fmt, missing))
    # the malicious sessions are found by their own values, not only by an address
    true(("tls.server.hash.sha1", "506b870bff352f27cb98e2a72cef0e15390ef395") in found[TLS],
         "%s: certificate" % fmt)
    true(any(f == "dns.question.name" for f, _ in found[DNS_WWW]), "%s: DNS name" % fmt)
    true(SMB not in found, "%s: the benign session matched" % fmt)
    return found


def test_roundtrip_stix(env):
    roundtrip(env, "stix", "rt.json")


def test_roundtrip_misp(env):
    found = roundtrip(env, "misp", "rt.misp.json")
    true(("tls.client.ja4", "t12d1210h2_d34a8e72043a_fae48490d0f6") in found[TLS], "ja4")


def test_roundtrip_suricata(env):
    found = roundtrip(env, "suricata", "rt.rules")
    true(("tls.client.ja3", "ddbd6dcac4a3a7624912e37036fef3c9") in found[TLS], "ja3")
    true(any(f == "file.hash.sha256" for f, _ in found[HTTP]), "hash list")


def test_roundtrip_suricata_datasets(env):
    roundtrip(env, "suricata", "rt.rules", "--datasets", "always")


def test_roundtrip_zeek(env):
    found = roundtrip(env, "zeek", "rt.intel")
    true(any(f == "user_agent.original" for f, _ in found[HTTP]), "SOFTWARE as user-agent")


def test_roundtrip_csv(env):
    found = roundtrip(env, "csv", "rt.csv")
    true(any(f == "url.original" for f, _ in found[HTTP]), "url")


def test_export_to_stdout(env):
    st, cid = env.case_with_findings()
    p = env.run("case", "export", "--store", st, str(cid), "--format", "csv", "-o", "-")
    true(p.stdout.startswith("type,value,source,description\n"), p.stdout[:80])
    true("indicators from 3 malicious findings to standard output" in p.stderr, p.stderr)
    p = env.run("case", "export", "--store", st, str(cid), "--format", "csv", "-o",
                "/nonexistent/dir/x.csv", check=False)
    eq(p.returncode, 1, "unwritable output")


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    only = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "-k" else None
    tmp = tempfile.mkdtemp(prefix="konseki-case.")
    passed = failed = 0
    try:
        env = Env(build, tmp)
        tests = [(n, f) for n, f in sorted(globals().items())
                 if n.startswith("test_") and callable(f) and (not only or only in n)]
        for name, fn in tests:
            try:
                fn(env)
                passed += 1
            except Exception:
                failed += 1
                print("FAIL %s" % name)
                print("  " + traceback.format_exc().strip().replace("\n", "\n  "))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("case: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

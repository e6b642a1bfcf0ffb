"""Reports: the store report (konseki report) and the case report (konseki case report)."""
import json
import os
import re
import struct
import subprocess
from html.parser import HTMLParser

VOID = {"meta", "br", "img", "input", "hr", "link"}


class Balance(HTMLParser):
    """Checks that every element is closed in order (SVG shapes may self-close)."""

    def __init__(self):
        super().__init__()
        self.stack, self.bad, self.refs = [], [], []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("src", "href") and v and re.match(r"^[a-z]+:", v):
                self.refs.append(v)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        for k, v in attrs:
            if k in ("src", "href") and v and re.match(r"^[a-z]+:", v):
                self.refs.append(v)

    def handle_endtag(self, tag):
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
        else:
            self.bad.append(tag)


def check_html(path):
    with open(path) as f:
        text = f.read()
    p = Balance()
    p.feed(text)
    assert not p.stack and not p.bad, "unbalanced HTML: open %s, stray %s" % (p.stack[-5:],
                                                                               p.bad[:5])
    # self-contained: nothing fetched from elsewhere (the SVG namespace is an identifier)
    assert not [r for r in p.refs if not r.startswith("http://www.w3.org/")], p.refs
    assert "<script" not in text
    return text


def test_store_report_on_hunt_scenario(env):
    store, truth = env.hunt_store()
    runs_before = len(env.run("hunt", "runs", "--store", store, "--json").stdout.splitlines())
    out = os.path.join(env.tmp, "store-report.html")
    p = env.run("report", "--store", store, "-o", out)
    assert "hunts run" in p.stdout, p.stdout
    html = check_html(out)
    defs = [json.loads(l) for l in env.run("hunt", "list", "--json").stdout.splitlines()]
    for d in defs:
        assert ">%s — " % d["name"] in html, "hunt %s missing from the report" % d["name"]
    for section in ("Data coverage", "IOC retro-matching", "Hunts", "Hunt scores",
                    "Recommended next hunts"):
        assert "<h2>%s</h2>" % section in html, section
    assert html.count("<svg") >= 3  # traffic, top talkers, hunt scores
    # the planted PsExec shows with its host among psexec's results
    t = env.truth("psexec", threat=True)[0]
    sec = html.split(">psexec — ")[1].split("<h3>")[0]
    assert t["src"] in sec, "planted psexec source %s not in the report's psexec section" % t["src"]
    runs_after = len(env.run("hunt", "runs", "--store", store, "--json").stdout.splitlines())
    assert runs_after - runs_before == len(defs), (runs_before, runs_after, len(defs))
    md = os.path.join(env.tmp, "store-report.md")
    env.run("report", "--store", store, "--format", "md", "-o", md)
    with open(md) as f:
        text = f.read()
    assert text.startswith("# konseki retrospective analysis report")
    for d in defs:
        assert "### %s — " % d["name"] in text, d["name"]


def test_report_errors(env):
    store = env.attack_store("LM_psexec_smb_dcerpc_epm_svcctl.pcapng")
    p = env.run("report", "--store", store, "--format", "pdf", "-o", "/tmp/x", check=False)
    assert p.returncode == 1 and "html or md" in p.stderr, p.stderr
    p = env.run("report", "--store", store, check=False)
    assert p.returncode == 1 and "-o FILE" in p.stderr, p.stderr
    p = env.run("report", "--store", store, "-o", "/nonexistent-dir/r.html", check=False)
    assert p.returncode == 1 and "cannot write" in p.stderr, p.stderr
    p = env.run("report", "--store", os.path.join(env.tmp, "no-store"), "-o",
                os.path.join(env.tmp, "r.html"), check=False)
    assert p.returncode != 0 and not os.path.exists(os.path.join(env.tmp, "r.html"))


def pcap_packets(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    assert magic in (0xa1b2c3d4, 0xa1b23c4d), hex(magic)
    n, off = 0, 24
    while off + 16 <= len(data):
        incl = struct.unpack("<I", data[off + 8:off + 12])[0]
        off += 16 + incl
        n += 1
    assert off == len(data)
    return n


def test_case_report_with_evidence(env):
    store = env.attack_store("LM_psexec_smb_dcerpc_epm_svcctl.pcapng",
                             "CA_kerbrute_passwordspray_kerberos_AS-REQ.pcapng")
    p = env.run("case", "new", "--store", store, "--json", "--hypothesis",
                "An intruder moves laterally with PsExec after spraying passwords",
                "--attack", "T1569.002,T1110.003")
    cid = str(json.loads(p.stdout)["id"])
    env.run("case", "run", cid, "psexec", "--store", store)
    env.run("case", "run", cid, "long-conn", "--store", store)  # finds nothing: a negative result
    res, _ = env.hunt(store, "psexec")
    ev = res[0]["event"]["id"][0]
    env.run("case", "finding", cid, "--store", store, "--session", ev, "--verdict", "malicious",
            "--note", "PSEXESVC.exe <written> to ADMIN$")
    out = os.path.join(env.tmp, "case.html")
    p = env.run("case", "report", cid, "--store", store, "-o", out)
    html = check_html(out)
    for section in ("Hypothesis", "Data coverage", "Timeline", "Runs", "Findings and evidence",
                    "Negative results (validated absence)", "ATT&amp;CK techniques",
                    "Appendix: indicators from the malicious findings"):
        assert "<h2>%s</h2>" % section in html, section
    assert "PSEXESVC.exe &lt;written&gt; to ADMIN$" in html  # the note, escaped
    assert "Hunt long-conn found nothing" in html
    assert "T1569.002" in html and "System Services: Service Execution" in html
    pcap = os.path.join(env.tmp, "case.html-evidence", ev + ".pcap")
    assert ('href="case.html-evidence/%s.pcap"' % ev) in html
    # the extract holds exactly the session's packets
    q = json.loads(env.run("query", "--store", store, "--json", "event.id == " + ev).stdout
                   .splitlines()[0])
    assert pcap_packets(pcap) == q["network"]["packets"]
    md = os.path.join(env.tmp, "case.md")
    env.run("case", "report", cid, "--store", store, "--format", "md", "--no-pcap", "-o", md)
    with open(md) as f:
        text = f.read()
    assert "## Findings and evidence" in text and "not extracted (--no-pcap)" in text
    assert not os.path.exists(md + "-evidence")
    p = env.run("case", "report", "999", "--store", store, "-o", out, check=False)
    assert p.returncode == 1, p.stderr

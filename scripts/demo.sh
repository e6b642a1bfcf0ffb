#!/bin/sh
# `make demo`: generate a day of enterprise-like traffic with the project's own
# generator, ingest it, run a few hunts-by-query and extract one session's packets.
set -eu
BUILD=${1:-build}
cd "$(dirname "$0")/.."
K="$BUILD/konseki"
GEN="$BUILD/konseki-gen"
D=demo
rm -rf "$D"
mkdir -p "$D"
export KONSEKI_STORE="$D/store"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step konseki-gen --seed 7 --start 2024-01-15T08:00:00Z --duration 10h --sessions 20000 -o $D/sample.pcap
"$GEN" --seed 7 --start 2024-01-15T08:00:00Z --duration 10h --sessions 20000 -o "$D/sample.pcap" -v

step konseki ingest $D/sample.pcap
"$K" ingest "$D/sample.pcap"

step konseki ingest $D/sample.pcap "   # the same capture again is recognised"
"$K" ingest "$D/sample.pcap"

step konseki query --limit 5 "'port.dst == 53 && proto == udp'"
"$K" query --limit 5 'port.dst == 53 && proto == udp'

step konseki query --sort bytes --limit 5 "'ip.src == 10.0.0.0/8 && !(ip.dst == 10.0.0.0/8)'   # biggest outbound sessions"
"$K" query --sort bytes --limit 5 'ip.src == 10.0.0.0/8 && !(ip.dst == 10.0.0.0/8)'

step konseki query --limit 5 "'tcp.state == [REJ, S0]'   # failed connection attempts"
"$K" query --limit 5 'tcp.state == [REJ, S0]'

step konseki query --since 2024-01-15T12:00:00Z --until 2024-01-15T12:05:00Z --limit 3 "'vlan == EXISTS!'"
"$K" query --since 2024-01-15T12:00:00Z --until 2024-01-15T12:05:00Z --limit 3 'vlan == EXISTS!'

step konseki query --json --limit 1 "'proto == tcp && duration > 5m'   # ECS JSON Lines"
"$K" query --json --limit 1 'proto == tcp && duration > 5m'

id=$("$K" query --csv --sort bytes --limit 1 'proto == tcp' | tail -1 | cut -d, -f3)
step konseki pcap -w $D/session.pcap "'event.id == $id'"
"$K" pcap -w "$D/session.pcap" "event.id == $id"
if command -v tshark >/dev/null 2>&1; then
    step tshark -r $D/session.pcap -q -z conv,tcp "   # Wireshark reads the extract"
    tshark -r "$D/session.pcap" -q -z conv,tcp 2>/dev/null | sed -n '5,7p'
fi

step konseki query --limit 5 "'dns.query == *.com && dns.rcode == NXDOMAIN'   # protocol records"
"$K" query --limit 5 'dns.query == *.com && dns.rcode == NXDOMAIN'

step konseki query --limit 3 "'tls.sni == *.microsoft.com'"
"$K" query --limit 3 'tls.sni == *.microsoft.com'

step konseki-gen --scenario plant -o $D/plant.pcap "   # planted DNS, HTTP, TLS, SSH, Kerberos, SMB PsExec"
"$GEN" --scenario plant -o "$D/plant.pcap"
"$K" ingest -q "$D/plant.pcap"

step konseki query "'service.name == PSEXESVC'   # a service created over SMB/DCE-RPC (lateral movement)"
"$K" query 'service.name == PSEXESVC'

step konseki query --json "'service.name == PSEXESVC'" "| jq -c '.records[] | select(.dcerpc.svcctl)'"
if command -v jq >/dev/null 2>&1; then
    "$K" query --json 'service.name == PSEXESVC' | jq -c '.records[] | select(.dcerpc.svcctl) | .dcerpc'
fi

step konseki query --json "'file.name == PSEXESVC.exe'" "| jq -c '.records[] | select(.file.name == \"PSEXESVC.exe\") | {share, file, action, written}'"
if command -v jq >/dev/null 2>&1; then
    "$K" query --json 'file.name == PSEXESVC.exe' |
        jq -c '.records[] | select(.file.name == "PSEXESVC.exe") | {share: .smb.share, file: .file.path, action: .smb.file.action, written: .smb.file.bytes_written}'
fi

step konseki query --json "'cert.sha1 == EXISTS!'" "| jq -c '.records[].tls | {sni, ja3, ja4, subject, sha1}'"
if command -v jq >/dev/null 2>&1; then
    "$K" query --json 'cert.sha1 == EXISTS!' |
        jq -c '.records[].tls | {sni: .client.server_name, ja3: .client.ja3, ja4: .client.ja4,
               subject: .server.x509.subject.distinguished_name, sha1: .server.hash.sha1}'
fi

cat >"$D/iocs.csv" <<'IOCS'
type,value,comment
domain,downloads[.]example[.]com,defanged as feeds write them
ja3,ddbd6dcac4a3a7624912e37036fef3c9,a TLS client fingerprint
ip,203.0.113.80,
IOCS
step konseki ioc import --source demo $D/iocs.csv "   # retro-hunt: sweep all stored history now"
"$K" ioc import --source demo "$D/iocs.csv"

step konseki ioc match --no-sweep
"$K" ioc match --no-sweep | head -8

step konseki query "'ioc.source == demo'"
"$K" query 'ioc.source == demo'

step konseki stats
"$K" stats

# Hunts: three days of a small enterprise with one planted threat per built-in hunt and
# benign look-alikes (periodic NTP and update checks, Dropbox browsing, admins on SMB).
export KONSEKI_STORE="$D/hunt-store"
step konseki-gen --scenario hunt --seed 1 -o $D/hunt.pcap --hunt-truth $D/hunt.truth
"$GEN" --scenario hunt --seed 1 -o "$D/hunt.pcap" --hunt-truth "$D/hunt.truth"
step konseki ingest $D/hunt.pcap "   # into a second store, $D/hunt-store"
"$K" ingest "$D/hunt.pcap"

step konseki hunt list
"$K" hunt list

step konseki hunt run psexec beacon --limit 2 --zone hq=10.1.0.0/16 --zone affiliate=10.50.0.0/16
"$K" hunt run psexec beacon --limit 2 --zone hq=10.1.0.0/16 --zone affiliate=10.50.0.0/16 2>&1 ||
    "$K" hunt run psexec --limit 2

step konseki report --zone hq=10.1.0.0/16 --zone affiliate=10.50.0.0/16 -o $D/report.html "   # every hunt, IOC hits, charts"
"$K" report --zone hq=10.1.0.0/16 --zone affiliate=10.50.0.0/16 -o "$D/report.html"
printf '\nThe stores are in %s and %s; the report is %s\n' "$D/store" "$D/hunt-store" "$(pwd)/$D/report.html"

#!/bin/sh
# The hunt scenario through konseki: generate `konseki-gen --scenario hunt`, ingest it, and
# find every planted threat with `konseki query`, counted against the hunt truth (the
# number of sessions each threat line states).  Also: the ingest stays a few seconds and
# the planted look-alikes are where the truth says.  HUNT_SEED picks another seed (1).
# Prints "hunt: N passed, N failed".
BUILD=${1:-build}
cd "$(dirname "$0")/../.." || exit 2
ROOT=$(pwd)
K="$ROOT/$BUILD/konseki"
GEN="$ROOT/$BUILD/konseki-gen"
W=$(mktemp -d /tmp/konseki-hunt.XXXXXX)
trap 'rm -rf "$W"' EXIT
pass=0 fail=0
export KONSEKI_STORE=

ok() { pass=$((pass+1)); }
bad() { echo "FAIL $T: $*"; fail=$((fail+1)); }
# same WANT GOT
same() { if [ "$1" = "$2" ]; then ok; else bad "expected '$1', got '$2'"; fi; }
# rows EXPR: sessions (distinct event ids) the query finds
rows() { "$K" query --store "$W/s" --json --limit 1000000 "$1" | jq -r .event.id | sort -u | wc -l; }
# threat HUNT: sessions the hunt truth states for its threat line
threat() { jq -r --arg h "$1" 'select(.hunt == $h and .threat) | .sessions' "$W/hunt.truth"; }

T=generate
"$GEN" --scenario hunt --seed "${HUNT_SEED:-1}" -o "$W/hunt.pcap" --truth "$W/sess.jsonl" \
    --hunt-truth "$W/hunt.truth" || { echo "hunt: 0 passed, 1 failed"; exit 1; }
ok

T=ingest_takes_seconds
start=$(date +%s%N)
"$K" ingest -q --store "$W/s" "$W/hunt.pcap" || bad "ingest failed"
ms=$((($(date +%s%N) - start) / 1000000))
echo "hunt: ingest of $(stat -c %s "$W/hunt.pcap") bytes, $(wc -l <"$W/sess.jsonl") sessions in $ms ms"
if [ "$ms" -lt 30000 ]; then ok; else bad "ingest took $ms ms"; fi
same "$(wc -l <"$W/sess.jsonl")" "$(rows 'ip == 0.0.0.0/0')"

T=beacon_and_cert
same "$(threat beacon)" "$(rows 'tls.sni == cdn-telemetry.example-c2.net')"
# the certificate travels in the full handshakes only (the others resume the session)
got=$(rows 'tls.server.x509.serial_number == 08bb00ee || tls.server.x509.serial_number == 08:bb:00:ee')
want=$(jq -s 'map(select(.dst == "198.51.100.77" and .cert_serial)) | length' "$W/sess.jsonl")
same "$want" "$got"
same 1 "$("$K" query --store "$W/s" --json 'ip.dst == 198.51.100.77 && tls.server.x509.subject.common_name == "Major Cobalt Strike"' --limit 1 | wc -l)"

T=long_conn
got=$("$K" query --store "$W/s" --json 'ip.src == 10.1.10.31 && ip.dst == 203.0.113.50' |
    jq -s 'map(.event.id) | unique | length')
same 1 "$got"

T=rare_tls
same "$(threat rare-tls)" "$(rows 'tls.sni == api.dataupload-svc.example')"
ja3=$("$K" query --store "$W/s" --json 'tls.sni == api.dataupload-svc.example' --limit 1 |
    jq -r '[.. | .ja3? // empty] | first')
same 1 "$("$K" query --store "$W/s" --json "tls.client.ja3 == $ja3" | jq -r .source.ip | sort -u | wc -l)"

T=dns_tunnel_and_nxdomain
same "$(threat dns-tunnel)" "$(rows 'dns.question.name == *.t.tunnel-example.com && dns.question.type == TXT')"
same "$(threat nxdomain)" "$(rows 'ip.src == 10.1.10.27 && dns.response_code == NXDOMAIN && dns.question.name == /^[a-z]{12,20}\.(com|net|info)$/')"

T=http_client
same 1 "$(rows 'http.uri == "/a.ps1" && user_agent.original == *WindowsPowerShell*')"
same 1 "$(rows 'ip.src == 10.1.10.38 && user_agent.original == "Microsoft-CryptoAPI/10.0" && http.uri == "/update.exe"')"

T=cloud_exfil_and_mft
got=$("$K" query --store "$W/s" --json 'ip.dst == 162.125.5.14' | jq -s 'map(.source.bytes) | add')
if [ "${got:-0}" -ge 200000000 ]; then ok; else bad "exfil upload $got bytes"; fi
got=$("$K" query --store "$W/s" --json 'ip.src == 45.146.164.110 && ip.dst == 10.1.1.30' |
    jq -s 'map(.destination.bytes) | add')
if [ "${got:-0}" -ge 300000000 ]; then ok; else bad "MFT theft $got bytes"; fi

T=psexec_remote_exec
same 1 "$(rows 'ip.src == 10.1.10.19 && smb.file == *PSEXESVC*')"
same 1 "$(rows 'ip.src == 10.1.10.21 && dcerpc.operation == SchRpcRegisterTask')"
same 1 "$(rows 'ip.src == 10.1.10.21 && (dcerpc.operation == DsGetNCChanges || dcerpc.operation == DRSGetNCChanges)')"
same 1 "$(rows 'ip.src == 10.1.10.21 && user_agent.original == "Microsoft WinRM Client"')"

T=scan_collection_crosszone
got=$("$K" query --store "$W/s" --json --limit 1000000 'ip.src == 10.1.10.43' | jq -r .destination.ip | sort -u | wc -l)
if [ "$got" -ge 200 ]; then ok; else bad "scan reached $got addresses"; fi
got=$("$K" query --store "$W/s" --json --limit 1000000 'ip.src == 10.1.10.26 && ip.dst == 10.1.1.20' |
    jq -s '[.[].records[]? | select(.smb.file?)] | length')
if [ "$got" -ge 300 ]; then ok; else bad "collection: $got SMB file records"; fi
same 4 "$(rows 'ip.src == 10.50.0.0/16 && port.dst == [445, 3389]')"

T=edge_probe
same 1 "$(rows 'ip.dst == 10.1.0.1 && http.uri == "/vpn/../vpns/cfg/smb.conf"')"
same 2 "$(rows 'ip.src == 10.1.0.1 && ip.dst == 10.1.1.10 && port.dst == [445, 389]')"

T=krb_spray
same "$(threat krb-spray)" "$(rows 'ip.src == 10.1.10.40 && krb.error_code == [KDC_ERR_C_PRINCIPAL_UNKNOWN, KDC_ERR_PREAUTH_FAILED]')"

T=look_alikes
# each: sessions stated by its truth line = sessions found by a query
la() { jq -r --arg h "$1" --arg n "$2" 'select(.hunt == $h and (.threat | not) and .name == $n) | .sessions' "$W/hunt.truth"; }
same "$(la beacon time.windows.com)" "$(rows 'ip.dst == 20.101.57.9 && port.dst == 123')"
same "$(la beacon ctldl.windowsupdate.com)" "$(rows 'http.host == ctldl.windowsupdate.com && user_agent.original == "Microsoft-CryptoAPI/10.0"')"
same "$(la http-client Microsoft-Delivery-Optimization/10.0)" "$(rows 'user_agent.original == "Microsoft-Delivery-Optimization/10.0"')"
same "$(la nxdomain wpad.corp.example)" "$(rows 'dns.question.name == wpad.corp.example && dns.response_code == NXDOMAIN')"
same "$(la scan "")" "$(rows 'ip.src == 10.1.1.50')"
same "$(la cross-zone intranet.corp.example)" "$(rows 'ip.src == 10.50.1.0/24 && ip.dst == 10.1.1.40 && port.dst == [80, 443]')"
# the baseline: NTP from many hosts, affiliates on the intranet on day 1 already
got=$("$K" query --store "$W/s" --json --limit 1000000 'port.dst == 123' | jq -r .source.ip | sort -u | wc -l)
if [ "$got" -ge 40 ]; then ok; else bad "NTP from only $got hosts"; fi
# (the scenario starts 2024-03-04T00:00:00Z; day 3 is 2024-03-06)
got=$("$K" query --store "$W/s" --json --until 2024-03-05T00:00:00Z \
    'ip.src == 10.50.1.0/24 && ip.dst == 10.1.1.40' | wc -l)
if [ "$got" -gt 0 ]; then ok; else bad "no affiliate on the intranet on day 1"; fi
same 0 "$("$K" query --store "$W/s" --json --until 2024-03-06T00:00:00Z \
    'ip.src == 10.50.1.23 || (ip.src == 10.1.0.1 && ip.dst == 10.1.1.10)' | wc -l)"

echo "hunt: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/bin/sh
# IOC matching end to end (issue #5): indicators planted for the generator's `plant` scenario
# (DNS names and answers, SNI, JA3, certificate SHA-1, HTTP file SHA-256, URL, an address, a
# network, an IPv6 address) with near misses that must not match (a parent vs a longer label, the
# neighbouring address, another hash); exact findings; a retro sweep after ingest and live
# matching during ingest give the same findings, also with a generated mix around them; expiry;
# query integration and $ioc: sets; retention cutting findings with their sessions;
# list/remove/stats.  Prints "ioc: N passed, N failed".
BUILD=${1:-build}
cd "$(dirname "$0")/../.." || exit 2
ROOT=$(pwd)
K="$ROOT/$BUILD/konseki"
GEN="$ROOT/$BUILD/konseki-gen"
W=$(mktemp -d /tmp/konseki-ioc.XXXXXX)
trap 'rm -rf "$W"' EXIT
pass=0 fail=0
export KONSEKI_STORE=

ok() { pass=$((pass+1)); }
bad() { echo "FAIL $T: $*"; fail=$((fail+1)); }
same() { # expected-file actual-file
    if cmp -s "$1" "$2"; then ok; else bad "differs:"; diff "$1" "$2" | head -20; fi
}

"$GEN" --scenario plant -o "$W/plant.pcap" || exit 2
"$GEN" --seed 7 --mix small --sessions 3000 --start 2024-01-14T22:00:00Z --duration 20h \
    -o "$W/mix.pcap" || exit 2

# One value per line (plain list); the types that a plain value cannot show are given by --type.
cat >"$W/plant.txt" <<'L'
# planted: each of these is in the plant scenario's traffic
www.example.com
edge.example.net
secure.example.net
downloads.example.com
203.0.113.80
198.51.100.0/24
2001:db8:10::10
902167882301d337e02ee86f4bf1f6c509a760ced72394e549a11af89c9aca51
http://downloads.example.com/files/quarterly-report.pdf
# near misses: none of these may match
ample.org
www.example.co
xample.net
203.0.113.81
198.51.101.0/24
2001:db8:10::11
902167882301d337e02ee86f4bf1f6c509a760ced72394e549a11af89c9aca50
http://downloads.example.com/files/quarterly-report
http://downloads.example.com:8080/files/quarterly-report.pdf
L
echo ddbd6dcac4a3a7624912e37036fef3c9 >"$W/ja3.txt"
echo ddbd6dcac4a3a7624912e37036fef3c8 >>"$W/ja3.txt"
echo 506b870bff352f27cb98e2a72cef0e15390ef395 >"$W/cert.txt"
echo 506b870bff352f27cb98e2a72cef0e15390ef394 >>"$W/cert.txt"
echo example.net >"$W/expiring.txt"

import_all() { # store
    "$K" ioc import --store "$1" --source plant "$W/plant.txt" >/dev/null &&
    "$K" ioc import --store "$1" --source sslbl --type ja3 "$W/ja3.txt" >/dev/null &&
    "$K" ioc import --store "$1" --source sslbl --type cert-sha1 "$W/cert.txt" >/dev/null &&
    "$K" ioc import --store "$1" --source short --expires 2024-01-15T09:00:01Z \
        "$W/expiring.txt" >/dev/null
}

cat >"$W/expected" <<'E'
2024-01-15 09:00:00.000000  0000000100000001  domain      www.example.com              plant                    dns.question.name = www.example.com
2024-01-15 09:00:00.200000  0000000100000002  domain      www.example.com              plant                    dns.question.name = www.example.com
2024-01-15 09:00:00.200000  0000000100000002  ip          2001:db8:10::10              plant                    dns.resolved_ip = 2001:db8:10::10
2024-01-15 09:00:00.400000  0000000100000003  domain      edge.example.net             plant                    dns.answers.data = cdn.example.org.edge.example.net
2024-01-15 09:00:00.400000  0000000100000003  cidr        198.51.100.0/24              plant                    dns.resolved_ip = 198.51.100.77
2024-01-15 09:00:00.400000  0000000100000003  domain      example.net                  short                    dns.answers.data = cdn.example.org.edge.example.net
2024-01-15 09:00:00.800000  0000000100000005  domain      example.net                  short                    dns.answers.data = mail1.example.net
E

T=retro_sweep_exact_findings
"$K" ingest -q --store "$W/retro" "$W/plant.pcap" || bad "ingest"
import_all "$W/retro" || bad "import"
"$K" ioc match --store "$W/retro" --no-sweep >"$W/retro.out" 2>&1 || bad "match"
head -7 "$W/retro.out" >"$W/retro.head"
same "$W/expected" "$W/retro.head"

T=retro_sweep_counts
# 20 findings: www.example.com 1,2,8,9; edge 3,a; 2001:db8:10::10 2,9; the /24 3,a,f; session e
# host, address, file, URL; f SNI, JA3, certificate; example.net (expiring) 3,5
n=$(wc -l <"$W/retro.out")
[ "$n" -eq 20 ] && ok || bad "$n findings, expected 20: $(cat "$W/retro.out")"
T=near_misses_never_match
if grep -E " (ample.org|www.example.co|xample.net|203.0.113.81|198.51.101.0/24|2001:db8:10::11) " \
    "$W/retro.out" || grep -E "aca50|fef3c8|0ef394|quarterly-report |:8080" "$W/retro.out"; then
    bad "a near miss matched"
else
    ok
fi
T=every_planted_place
for f in "dns.question.name = www.example.com" "dns.answers.data = cdn.example.org.edge.example.net" \
    "dns.resolved_ip = 198.51.100.77" "dns.resolved_ip = 2001:db8:10::10" \
    "tls.client.server_name = secure.example.net" "destination.ip = 198.51.100.43" \
    "destination.ip = 203.0.113.80" "url.domain = downloads.example.com" \
    "file.hash.sha256 = 902167882301d337e02ee86f4bf1f6c509a760ced72394e549a11af89c9aca51" \
    "url.original = http://downloads.example.com/files/quarterly-report.pdf" \
    "tls.client.ja3 = ddbd6dcac4a3a7624912e37036fef3c9" \
    "tls.server.hash.sha1 = 506b870bff352f27cb98e2a72cef0e15390ef395"; do
    grep -qF "$f" "$W/retro.out" || bad "no finding '$f'"
done
[ $fail -eq 0 ] && ok

T=expired_indicator_stops_at_valid_until
# example.net (valid until 09:00:01) matched 3 and 5, not the later sessions a, c, f
c=$(grep -c " short " "$W/retro.out")
[ "$c" -eq 2 ] && ok || bad "$c findings of the expiring indicator"

T=live_matching_equals_retro_sweep
import_all "$W/live" || bad "import"
"$K" ingest -q --store "$W/live" "$W/plant.pcap" || bad "ingest"
"$K" ioc match --store "$W/live" --no-sweep >"$W/live.out" 2>&1 || bad "match"
same "$W/retro.out" "$W/live.out"

T=resweep_changes_nothing
"$K" ioc match --store "$W/live" >/dev/null 2>&1 || bad "sweep"
"$K" ioc match --store "$W/live" --no-sweep >"$W/live2.out" 2>&1
same "$W/retro.out" "$W/live2.out"

T=mixed_traffic_live_equals_retro
"$K" ingest -q --store "$W/mretro" "$W/mix.pcap" "$W/plant.pcap" || bad "ingest"
import_all "$W/mretro" || bad "import"
# indicators sampled from the mix itself (registered domains, addresses, a network, JA3s), so
# the comparison covers many findings over two day files
"$K" query --store "$W/mretro" --json --limit 600 | python3 -c '
import json, sys
names, ips, ja3 = set(), set(), set()
for line in sys.stdin:
    r = json.loads(line)
    ips.add(r["destination"]["ip"])
    for rec in r.get("records", []):
        q = rec.get("dns", {}).get("question", {}).get("name")
        if q:
            names.add(".".join(q.split(".")[-2:]))
        j = rec.get("tls", {}).get("client", {}).get("ja3")
        if j:
            ja3.add(j)
for v in sorted(names)[::3] + sorted(ips)[::4] + ["10.1.0.0/16"]:
    print(v)
open(sys.argv[1], "w").write("".join(j + "\n" for j in sorted(ja3)[:2]))
' "$W/mixja3.txt" >"$W/mixsample.txt"
mix_import() {
    "$K" ioc import --store "$1" --source sample "$W/mixsample.txt" >/dev/null &&
    "$K" ioc import --store "$1" --source sample --type ja3 "$W/mixja3.txt" >/dev/null
}
mix_import "$W/mretro" || bad "import sample"
"$K" ioc match --store "$W/mretro" --no-sweep >"$W/mretro.out" 2>&1
import_all "$W/mlive" && mix_import "$W/mlive" || bad "import"
"$K" ingest -q --store "$W/mlive" "$W/mix.pcap" "$W/plant.pcap" || bad "ingest"
"$K" ioc match --store "$W/mlive" --no-sweep >"$W/mlive.out" 2>&1
same "$W/mretro.out" "$W/mlive.out"
n=$(grep -c " sample " "$W/mretro.out")
[ "$n" -gt 500 ] && ok || bad "only $n findings of the sampled indicators"
T=mixed_traffic_keeps_the_planted_findings
# the plant capture is ingest 2 here: same findings under session ids 0x00000002…
grep " 00000002" "$W/mretro.out" | grep -v " sample " | sed 's/ 00000002/ 00000001/' \
    >"$W/mplant.out"
same "$W/retro.out" "$W/mplant.out"

T=sweep_without_address_indexes_equals_the_walks
# a day file whose run has not completed has no address indexes: the sweep scans its sessions
# instead of walking the indexes, and must find exactly the same
cp -r "$W/mretro" "$W/mscan"
rm -f "$W/mscan/ioc.db"*
for f in "$W"/mscan/meta/*.db; do
    sqlite3 "$f" 'DROP INDEX sessions_src; DROP INDEX sessions_dst' || bad "drop index"
done
import_all "$W/mscan" && mix_import "$W/mscan" || bad "import"
"$K" ioc match --store "$W/mscan" --no-sweep >"$W/mscan.out" 2>&1
same "$W/mretro.out" "$W/mscan.out"

T=query_selects_sessions_with_findings
n=$("$K" query --store "$W/retro" --csv 'ioc == EXISTS!' | tail -n +2 | wc -l)
[ "$n" -eq 9 ] && ok || bad "ioc == EXISTS!: $n sessions"
n=$("$K" query --store "$W/retro" --csv 'ioc.source == sslbl' | tail -n +2 | wc -l)
[ "$n" -eq 1 ] && ok || bad "ioc.source == sslbl: $n sessions"
n=$("$K" query --store "$W/retro" --csv '!(ioc == EXISTS!)' | tail -n +2 | wc -l)
[ "$n" -eq 9 ] && ok || bad "!(ioc == EXISTS!): $n sessions"
n=$("$K" query --store "$W/retro" --csv 'ioc.type == cidr && ioc.field == destination.ip' |
    tail -n +2 | wc -l)
[ "$n" -eq 1 ] && ok || bad "cidr at destination.ip: $n sessions"

T=ioc_sets_in_queries
# $ioc: sets select sessions straight from the indicators (active ones): the planted values
# match, their near misses (also in the sets) never do; session ids 0x…01 to 0x…12
qids() { # store query -> the low bytes of the matching event ids, space separated
    "$K" query --store "$1" --csv "$2" | tail -n +2 | cut -d, -f3 | sed 's/^0000000100000//' |
        paste -sd ' ' -
}
while IFS=';' read -r q want; do
    got=$(qids "$W/retro" "$q")
    [ "$got" = "$want" ] && ok || bad "$q: '$got', expected '$want'"
done <<'Q'
ip == $ioc:ip;00e
ip.dst == $ioc:ipv4;00e
ip == $ioc:ipv6;
ip == $ioc:cidr;00f
ip.src == $ioc:ip || ip.src == $ioc:cidr;
ip == $ioc:@plant && port.dst == 443;00f
dns.query == $ioc:domain;001 002 008 009
dns.answer == $ioc:domain;003 00a
dns.ip == $ioc:ipv6;002 009
dns.ip == $ioc:cidr;003 00a
tls.sni == $ioc:domain;00f
http.host == $ioc:domain@plant;00e
tls.ja3 == $ioc:ja3;00f
cert.sha1 == $ioc:cert-sha1@sslbl;00f
file.sha256 == $ioc:sha256;00e
tls.ja3 == $ioc:@sslbl || file.sha256 == $ioc:@sslbl;00f
dns.query == $ioc:domain@short;
dns.query == $ioc:domain@nosuch;
Q
# the expired indicator (example.net, source short) is in no set, though its findings stay
n=$("$K" query --store "$W/retro" --csv 'ioc.source == short' | tail -n +2 | wc -l)
[ "$n" -eq 2 ] && ok || bad "findings of the expired indicator: $n sessions"
out=$("$K" query --store "$W/retro" 'dns.query == $ioc:ipv4' 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "column 14: \$ioc:ipv4 does not fit 'dns.question.name'" &&
    ok || bad "set of the wrong type: rc=$rc $out"
# a store without ioc.db: every set is empty, not an error
"$K" ingest -q --store "$W/noioc" "$W/plant.pcap" || bad "ingest"
out=$("$K" query --store "$W/noioc" --csv 'ip == $ioc:ip || dns.query == $ioc:domain' 2>&1); rc=$?
[ $rc -eq 0 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && ok || bad "no ioc.db: rc=$rc $out"

T=json_is_ecs_threat_enrichment
"$K" ioc match --store "$W/retro" --no-sweep --json >"$W/m.json" 2>/dev/null
python3 - "$W/m.json" <<'P' && ok || bad "json"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 20, len(rows)
tls = [r for r in rows if r["threat"]["enrichments"][0]["matched"]["field"] == "tls.client.ja3"]
assert len(tls) == 1
r = tls[0]
e = r["threat"]["enrichments"][0]
assert e["matched"]["atomic"] == "ddbd6dcac4a3a7624912e37036fef3c9"
assert e["indicator"]["provider"] == "sslbl" and e["indicator"]["type"] == "software"
assert r["destination"]["ip"] == "198.51.100.43" and r["destination"]["port"] == 443
assert r["source"]["ip"] == "10.1.1.18" and r["event"]["id"] == "000000010000000f"
assert r["network"]["transport"] == "tcp"
P

T=list_remove_stats
n=$("$K" ioc list --store "$W/retro" --source sslbl | wc -l)
[ "$n" -eq 4 ] && ok || bad "list: $n"
"$K" ioc remove --store "$W/retro" --source sslbl >/dev/null || bad "remove"
n=$("$K" query --store "$W/retro" --csv 'ioc.source == sslbl' | tail -n +2 | wc -l)
[ "$n" -eq 0 ] && ok || bad "findings of a removed source remain: $n"
"$K" ioc stats --store "$W/retro" | grep -q "^total   all *19 indicators *18 findings" && ok ||
    bad "stats: $("$K" ioc stats --store "$W/retro")"
"$K" ioc remove --store "$W/retro" 2>/dev/null; [ $? -eq 1 ] && ok || bad "remove without a filter"

T=retention_cuts_findings_with_their_sessions
# pieces of 1 s: the TLS session 0x…0f is stored as 06.0, 08.41 and 09.61 s; a cut at 08.09 s
# (11.6 s before the newest packet) deletes every earlier session and that session's first piece
"$K" ingest -q --store "$W/cut" --active-timeout 1s "$W/plant.pcap" || bad "ingest"
import_all "$W/cut" || bad "import"
cp -r "$W/cut" "$W/cut2"
"$K" prune --store "$W/cut" --retain 11.6s --json >"$W/prune.json" || bad "prune"
python3 - "$W/prune.json" <<'P' && ok || bad "prune: $(cat "$W/prune.json")"
import json, sys
p = json.load(open(sys.argv[1]))
assert p["cut"] == "2024-01-15T09:00:08.089527Z", p
assert p["ioc_findings_removed"] == 16 and p["ioc_findings_moved"] == 1, p
P
"$K" ioc match --store "$W/cut" --no-sweep >"$W/cut.out" 2>&1 || bad "match"
# what remains: the session the cut ran through, its network finding now at its first piece kept
cat >"$W/cut.expected" <<'E'
2024-01-15 09:00:08.406877  000000010000000f  domain      secure.example.net           plant                    tls.client.server_name = secure.example.net
2024-01-15 09:00:08.406877  000000010000000f  cidr        198.51.100.0/24              plant                    destination.ip = 198.51.100.43
2024-01-15 09:00:08.406877  000000010000000f  ja3         ddbd6dcac4a3a7624912e37036fef3c9 sslbl                    tls.client.ja3 = ddbd6dcac4a3a7624912e37036fef3c9
2024-01-15 09:00:08.406877  000000010000000f  cert-sha1   506b870bff352f27cb98e2a72cef0e15390ef395 sslbl                    tls.server.hash.sha1 = 506b870bff352f27cb98e2a72cef0e15390ef395
E
sort "$W/cut.expected" >"$W/cut.e"; sort "$W/cut.out" >"$W/cut.o"
same "$W/cut.e" "$W/cut.o"
# every session a finding names is still stored
"$K" query --store "$W/cut" --csv | tail -n +2 | cut -d, -f3 | sort -u >"$W/cut.ids"
"$K" ioc match --store "$W/cut" --no-sweep --json 2>/dev/null |
    python3 -c 'import json,sys; [print(json.loads(l)["event"]["id"]) for l in sys.stdin]' |
    sort -u | comm -23 - "$W/cut.ids" >"$W/cut.orphans"
[ ! -s "$W/cut.orphans" ] && ok || bad "findings of deleted sessions: $(cat "$W/cut.orphans")"
T=retention_findings_equal_a_fresh_sweep
# the pruned store's findings are what a sweep of what is left finds
rm -f "$W/cut/ioc.db"*
import_all "$W/cut" || bad "import"
"$K" ioc match --store "$W/cut" --no-sweep 2>/dev/null | sort >"$W/cut.fresh"
same "$W/cut.o" "$W/cut.fresh"
T=retention_killed_before_the_findings
# a prune killed after the catalog recorded the cut leaves findings behind: the next `ioc match`
# (and the next prune) drops them before it lists anything
KONSEKI_TEST_CRASH_AT=prune-catalog "$K" prune --store "$W/cut2" --retain 11.6s >/dev/null 2>&1
n=$(sqlite3 "$W/cut2/ioc.db" 'SELECT count(*) FROM findings' 2>&1)
[ "$n" = 20 ] && ok || bad "findings after the killed prune: $n"
"$K" ioc match --store "$W/cut2" --no-sweep 2>/dev/null | sort >"$W/cut2.o"
same "$W/cut.o" "$W/cut2.o"

T=unreadable_file_is_skipped_the_rest_imported_and_swept
out=$("$K" ioc import --store "$W/live" --source late "$W/nope.txt" "$W/cert.txt" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "nope.txt: cannot open" &&
    echo "$out" | grep -q "^sweep: 2 indicators" && ok || bad "rc=$rc: $out"

echo "ioc: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

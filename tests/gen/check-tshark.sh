#!/usr/bin/env bash
# check-tshark.sh BUILD_DIR — check konseki-gen's captures with tshark as an independent oracle.
#
# For a set of generated files (fixed scenarios and small mixes, every link type and
# file format) it compares what tshark decodes with the generator's ground truth:
#   - packet count (tshark -r F | wc -l) = sum of src_pkts + dst_pkts;
#   - timestamps in strict order (capinfos -o);
#   - no expert info at warning level or above, with checksum validation turned on for
#     IPv4, TCP and UDP (ICMP/ICMPv6 are always validated), except "Connection reset (RST)":
#     tshark flags every RST as a warning and the generator sends RSTs on purpose (rejected
#     connections, scans that hit closed ports, RST closes), so that warning must occur
#     exactly once per session whose truth says "close":"rst";
#   - no checksum with status "Bad";
#   - TCP and UDP conversations (-z conv,tcp / conv,udp): same number; and per tcp.stream /
#     udp.stream the same endpoints, frame count and frame bytes (sum of frame.len) as the
#     truth (UDP datagrams sent in IP fragments are left out of the per-stream numbers:
#     tshark gives only the reassembling frame a UDP layer; fragment frames are counted
#     separately);
#   - IP fragments: frames with MF set / a non-zero offset / an IPv6 Fragment header =
#     sum of "fragments";
#   - DNS: the query names and response codes tshark decodes = qname / rcode in the truth;
#   - TLS SNI and HTTP Host values = sni / host in the truth;
#   - ICMP echo: replies that tshark pairs with a request = sum of "echo";
#   - VLAN tags per frame (802.1ad S-tag + 802.1Q C-tag) = the truth's vlan lists;
#   - --size: the file is exactly the size the truth implies, and past the limit;
#   - the same arguments twice give identical files (cmp), another seed does not.
# Prints "gen-tshark: N passed, N failed" and exits non-zero on any failure.
set -u

BUILD=${1:-build}
GEN=$BUILD/konseki-gen
if [ ! -x "$GEN" ]; then
    echo "gen-tshark: $GEN not found (build it first)" >&2
    exit 2
fi
for tool in tshark capinfos jq cmp; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "gen-tshark: $tool is not installed (scripts/install-deps)" >&2
        exit 2
    fi
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/gen-tshark.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
PASS=0
FAIL=0
TS=(tshark -n -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE -o ip.check_checksum:TRUE)

ok() { PASS=$((PASS + 1)); }
bad() {
    FAIL=$((FAIL + 1))
    echo "FAIL [$CASE] $*"
}
# same NAME EXPECTED ACTUAL
same() {
    if [ "$2" = "$3" ]; then ok; else bad "$1: expected '$2', got '$3'"; fi
}
# same_file NAME EXPECTED_FILE ACTUAL_FILE
same_file() {
    if cmp -s "$2" "$3"; then
        ok
    else
        bad "$1 differs (expected < > tshark):"
        diff "$2" "$3" | head -n 10 | sed 's/^/    /'
    fi
}
tsh() { "${TS[@]}" -r "$F" "$@" 2>/dev/null; }

# One tshark pass per file writes these fields (one line per frame, tab-separated); the
# checks below read them with awk, finding columns with col() (conv_tshark also relies
# on columns 1-9 being frame.len … ipv6.dst in this order).
FIELDS=(frame.len tcp.stream udp.stream ip.src ipv6.src tcp.srcport udp.srcport
    ip.dst ipv6.dst tcp.dstport udp.dstport ip.flags.mf ip.frag_offset ipv6.fraghdr.offset
    dns.flags.response dns.qry.name dns.flags.rcode tls.handshake.type
    tls.handshake.extensions_server_name http.host icmp.type icmp.resp_to icmpv6.type
    icmpv6.resp_to ieee8021ad.id vlan.id ip.checksum.status tcp.checksum.status
    udp.checksum.status icmp.checksum.status icmpv6.checksum.status)
col() { # the awk column of a field name
    local i
    for i in "${!FIELDS[@]}"; do
        if [ "${FIELDS[$i]}" = "$1" ]; then
            echo $((i + 1))
            return
        fi
    done
    echo "gen-tshark: no field $1" >&2
    exit 2
}
fields() { awk -F'\t' "$@" "$TMP/fields"; }

# Streams from tshark: "A B frames bytes" with A < B, sorted.  Frames and bytes are summed
# per tcp.stream / udp.stream from frame.len (the -z conv tables round bytes to kB / MB).
conv_tshark() {
    local st sp dp
    st=$(col "$1.stream")
    sp=$(col "$1.srcport")
    dp=$(col "$1.dstport")
    fields -v st="$st" -v sp="$sp" -v dp="$dp" '$st != "" {
        k = $st; s = ($4 != "" ? $4 : $5) ":" $sp; d = ($8 != "" ? $8 : $9) ":" $dp
        if (s > d) { t = s; s = d; d = t }
        ep[k] = s " " d; fr[k]++; by[k] += $1
    } END { for (k in ep) print ep[k], fr[k], by[k] }' | LC_ALL=C sort
}
# The same from the truth, for one transport, without fragmented datagrams.
conv_truth() {
    jq -r --arg p "$1" 'select(.proto == $p and .fragments == 0) |
        [(.src + ":" + (.sport|tostring)), (.dst + ":" + (.dport|tostring)),
         (.src_pkts + .dst_pkts), (.src_bytes + .dst_bytes)] | @tsv' "$T" |
        awk -F'\t' '{ a = $1; b = $2; if (a > b) { t = a; a = b; b = t }; print a, b, $3, $4 }' |
        LC_ALL=C sort
}
# Endpoint pairs of fragmented UDP datagrams (to drop them from tshark's list).
frag_pairs() {
    jq -r 'select(.fragments > 0) | [(.src + ":" + (.sport|tostring)),
        (.dst + ":" + (.dport|tostring))] | @tsv' "$T" |
        awk -F'\t' '{ a = $1; b = $2; if (a > b) { t = a; a = b; b = t }; print a, b }'
}

check_file() {
    local link=$1 want got
    local -a fargs=()
    local f
    for f in "${FIELDS[@]}"; do fargs+=(-e "$f"); done
    tsh -T fields "${fargs[@]}" >"$TMP/fields"

    # --- packets and order
    want=$(jq -s 'map(.src_pkts + .dst_pkts) | add // 0' "$T")
    got=$(tsh | wc -l)
    same "packet count (tshark -r | wc -l)" "$want" "$got"
    same "frames in the fields pass" "$want" "$(wc -l <"$TMP/fields")"
    got=$(capinfos -o "$F" 2>/dev/null | awk -F: '/Strict time order/ { gsub(/ /, "", $2); print $2 }')
    same "strict time order" "True" "$got"

    # --- expert info >= warning: only RST, once per RST session
    tsh -Y '_ws.expert.severity >= warning' -T fields -e _ws.expert.message |
        tr ',' '\n' | sed '/^$/d' | LC_ALL=C sort | uniq -c >"$TMP/expert"
    local others rst want_rst
    others=$(grep -v 'Connection reset (RST)' "$TMP/expert" || true)
    if [ -z "$others" ]; then ok; else bad "unexpected expert warnings/errors: $(echo "$others" | tr -s ' ' | tr '\n' ';')"; fi
    rst=$(awk '/Connection reset \(RST\)/ { print $1 }' "$TMP/expert")
    want_rst=$(jq -s 'map(select(.close == "rst")) | length' "$T")
    same "RST warnings" "$want_rst" "${rst:-0}"
    # status 0 = Bad, 1 = Good, 2 = Unverified
    got=$(fields -v a="$(col ip.checksum.status)" -v z="$(col icmpv6.checksum.status)" '
        { for (i = a; i <= z; i++) if ($i != "" && $i !~ /^[12](,[12])*$/) n++ } END { print n + 0 }')
    same "frames with a bad checksum" 0 "$got"

    # --- conversations
    local p
    tsh -q -z conv,tcp -z conv,udp >"$TMP/conv"
    for p in tcp udp; do
        want=$(jq -s --arg p "$p" 'map(select(.proto == $p)) | length' "$T")
        got=$(awk -v p="$(echo "$p" | tr '[:lower:]' '[:upper:]')" '/Conversations/ { on = ($1 == p) } on && / <-> / { n++ }
            END { print n + 0 }' "$TMP/conv")
        same "$p conversations (-z conv,$p)" "$want" "$got"
        conv_truth "$p" >"$TMP/conv.want"
        conv_tshark "$p" >"$TMP/conv.all"
        frag_pairs >"$TMP/frag.pairs"
        awk -v skipf="$TMP/frag.pairs" '
            BEGIN { while ((getline l < skipf) > 0) { split(l, a, " "); skip[a[1] " " a[2]] = 1 } }
            !(($1 " " $2) in skip)' "$TMP/conv.all" >"$TMP/conv.got"
        same_file "$p streams (endpoints, frames, bytes)" "$TMP/conv.want" "$TMP/conv.got"
    done

    # --- fragments
    want=$(jq -s 'map(.fragments) | add // 0' "$T")
    got=$(fields -v mf="$(col ip.flags.mf)" -v off="$(col ip.frag_offset)" \
        -v f6="$(col ipv6.fraghdr.offset)" '$mf == 1 || ($off != "" && $off != 0) || $f6 != "" { n++ }
        END { print n + 0 }')
    same "IP fragment frames" "$want" "$got"

    # --- DNS
    local resp qn rc
    resp=$(col dns.flags.response)
    qn=$(col dns.qry.name)
    rc=$(col dns.flags.rcode)
    jq -r 'select(.kind == "dns") | .qname' "$T" | LC_ALL=C sort >"$TMP/q.want"
    fields -v r="$resp" -v q="$qn" '$r == "0" { print $q }' | LC_ALL=C sort >"$TMP/q.got"
    same_file "DNS query names" "$TMP/q.want" "$TMP/q.got"
    jq -r 'select(.kind == "dns") | .qname + " " + .rcode' "$T" | LC_ALL=C sort >"$TMP/r.want"
    fields -v r="$resp" -v q="$qn" -v c="$rc" '
        BEGIN { n[0] = "NOERROR"; n[1] = "FORMERR"; n[2] = "SERVFAIL"; n[3] = "NXDOMAIN" }
        $r == "1" { print $q, n[$c] }' | LC_ALL=C sort >"$TMP/r.got"
    same_file "DNS response codes" "$TMP/r.want" "$TMP/r.got"

    # --- TLS SNI, HTTP Host (one per session in the truth; tshark: one per hello / request)
    jq -r 'select(.sni) | .sni' "$T" | LC_ALL=C sort >"$TMP/sni.want"
    fields -v h="$(col tls.handshake.type)" -v s="$(col tls.handshake.extensions_server_name)" '
        ("," $h ",") ~ /,1,/ { print $s }' | LC_ALL=C sort >"$TMP/sni.got"
    same_file "TLS SNI" "$TMP/sni.want" "$TMP/sni.got"
    jq -r 'select(.host) | .host' "$T" | LC_ALL=C sort -u >"$TMP/host.want"
    fields -v h="$(col http.host)" '$h != "" { print $h }' | LC_ALL=C sort -u >"$TMP/host.got"
    same_file "HTTP hosts" "$TMP/host.want" "$TMP/host.got"

    # --- ICMP echo pairs
    want=$(jq -s 'map(select(.kind == "icmp") | .echo) | add // 0' "$T")
    got=$(fields -v t4="$(col icmp.type)" -v r4="$(col icmp.resp_to)" -v t6="$(col icmpv6.type)" \
        -v r6="$(col icmpv6.resp_to)" '($t4 == "0" && $r4 != "") || ($t6 == "129" && $r6 != "") { n++ }
        END { print n + 0 }')
    same "echo replies matched to requests" "$want" "$got"

    # --- VLAN tags per frame (Ethernet only: other link types carry none)
    if [ "$link" = ethernet ]; then
        jq -r '(.vlan | map(tostring) | join(",")) as $v | range(.src_pkts + .dst_pkts) | $v' "$T" |
            LC_ALL=C sort | uniq -c >"$TMP/vlan.want"
        fields -v s="$(col ieee8021ad.id)" -v c="$(col vlan.id)" '
            { v = $s; if ($c != "") v = (v == "" ? $c : v "," $c); print v }' |
            LC_ALL=C sort | uniq -c >"$TMP/vlan.got"
        same_file "VLAN ids per frame" "$TMP/vlan.want" "$TMP/vlan.got"
    else
        got=$(fields -v s="$(col ieee8021ad.id)" -v c="$(col vlan.id)" '$s != "" || $c != "" { n++ }
            END { print n + 0 }')
        same "frames with VLAN tags on $link" 0 "$got"
    fi
}

# run_case NAME LINK GEN-ARGS...
run_case() {
    CASE=$1
    local link=$2
    shift 2
    F=$TMP/$CASE.cap
    T=$TMP/$CASE.jsonl
    if "$GEN" --link "$link" "$@" --truth "$T" -o "$F"; then ok; else
        bad "konseki-gen $* failed"
        return
    fi
    check_file "$link"
}

run_case basic-eth-pcap ethernet --scenario basic --format pcap
run_case basic-sll-pcapng sll --scenario basic --format pcapng
run_case basic-sll2-pcapns sll2 --scenario basic --format pcap-ns
run_case basic-raw-pcap raw --scenario basic --format pcap
run_case basic-null-pcapng null --scenario basic --format pcapng
run_case frag-eth-pcapng ethernet --scenario frag --format pcapng
run_case long-eth-pcap ethernet --scenario long --format pcap
run_case mixed-eth-pcap ethernet --seed 7 --sessions 500 --duration 10m --format pcap
run_case mixed-sll2-pcapng sll2 --seed 11 --sessions 300 --duration 5m --format pcapng
run_case small-eth-pcapns ethernet --seed 5 --sessions 500 --mix small --duration 5m --format pcap-ns
run_case bulk-null-pcap null --seed 3 --size 4M --mix bulk --duration 2m --format pcap

# --- scenario shapes the golden tests rely on
CASE=basic-shape
T=$TMP/basic-eth-pcap.jsonl
same "basic sessions" 9 "$(jq -s length "$T")"
same "basic kinds" "dns http http http http icmp reject syslog tls" \
    "$(jq -r .kind "$T" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
same "basic port reuse pair" 2 "$(jq -s 'map(select(.variant == "reuse")) | group_by(.src, .sport, .dst, .dport) | map(length) | max' "$T")"
same "basic VLAN 42 session" 1 "$(jq -s 'map(select(.vlan == [42])) | length' "$T")"
same "basic IPv6 TCP session" 1 "$(jq -s 'map(select(.ipver == 6 and .proto == "tcp")) | length' "$T")"
CASE=long-shape
T=$TMP/long-eth-pcap.jsonl
got=$(capinfos -u "$TMP/long-eth-pcap.cap" 2>/dev/null | awk -F: '/Capture duration/ { print int($2) }')
if [ "${got:-0}" -ge 2100 ] && [ "${got:-0}" -le 2102 ]; then ok; else bad "long scenario lasts ${got:-?} s, want 35 min"; fi
same "long sessions" 1 "$(jq -s length "$T")"

# --- --size: the file is what the truth says, and at least the limit
CASE=size
T=$TMP/size.jsonl
F=$TMP/size.pcap
if "$GEN" --seed 9 --size 8M --truth "$T" -o "$F"; then
    want=$(jq -s '24 + (map(.src_bytes + .dst_bytes + 16 * (.src_pkts + .dst_pkts)) | add)' "$T")
    got=$(stat -c %s "$F")
    same "file size implied by the truth" "$want" "$got"
    if [ "$got" -ge $((8 << 20)) ]; then ok; else bad "--size 8M gave only $got bytes"; fi
    # Without the last session the file would have stayed under the limit.
    last=$(tail -n 1 "$T" | jq '.src_bytes + .dst_bytes + 16 * (.src_pkts + .dst_pkts)')
    if [ $((got - last)) -lt $((8 << 20)) ]; then ok; else bad "--size went on past the limit"; fi
else
    bad "konseki-gen --size 8M failed"
fi

# --- determinism
CASE=determinism
"$GEN" --seed 42 --sessions 400 --format pcapng --truth "$TMP/d1.jsonl" -o "$TMP/d1.pcapng"
"$GEN" --seed 42 --sessions 400 --format pcapng --truth "$TMP/d2.jsonl" -o "$TMP/d2.pcapng"
"$GEN" --seed 43 --sessions 400 --format pcapng -o "$TMP/d3.pcapng"
if cmp -s "$TMP/d1.pcapng" "$TMP/d2.pcapng"; then ok; else bad "same seed, different captures"; fi
if cmp -s "$TMP/d1.jsonl" "$TMP/d2.jsonl"; then ok; else bad "same seed, different truth"; fi
if ! cmp -s "$TMP/d1.pcapng" "$TMP/d3.pcapng"; then ok; else bad "different seeds, same capture"; fi
"$GEN" --seed 42 --sessions 400 --format pcapng -o - >"$TMP/d4.pcapng"
if cmp -s "$TMP/d1.pcapng" "$TMP/d4.pcapng"; then ok; else bad "-o - differs from a file"; fi

# --- speed (informational: the machine is shared)
CASE=speed
start=$(date +%s%N)
if "$GEN" --size 512M -o /dev/null; then ok; else bad "--size 512M failed"; fi
end=$(date +%s%N)
echo "gen-tshark: 512 MiB generated in $(((end - start) / 1000000)) ms"

echo "gen-tshark: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]

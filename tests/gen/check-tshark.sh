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
#   - the same arguments twice give identical files (cmp), another seed does not;
#   - --scenario plant: every application field the truth states (DNS answers, HTTP
#     requests and downloaded bodies, JA3/JA3S, the certificate, HASSH, NTLMSSP names,
#     SMB2 trees/files/writes, svcctl service, Kerberos names/etypes/error) as tshark
#     decodes it (check_plant below);
#   - --scenario hunt: the checks above on the three-day capture, then each planted threat
#     as tshark sees it (check_hunt below), the hunt truth's shape, size limits, and
#     determinism.  GEN_TSHARK_ONLY=hunt runs only this part.
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

    # --- expert info >= warning: only RST, once per RST session (frames cut by a snap
    # length carry part of a message, which tshark may take for garbage: left out)
    tsh -Y '_ws.expert.severity >= warning && frame.cap_len == frame.len' -T fields \
        -e _ws.expert.message |
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
    jq -r 'select(.kind == "dns" and .rcode != null) | .qname + " " + .rcode' "$T" |
        LC_ALL=C sort >"$TMP/r.want"
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

ONLY=${GEN_TSHARK_ONLY:-}
if [ "$ONLY" != hunt ]; then
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

run_case plant-eth-pcap ethernet --scenario plant --format pcap
run_case plant-sll2-pcapng sll2 --scenario plant --format pcapng

# --- planted sessions: the application fields of the truth, as tshark decodes them
# check_plant CASE: compares one capture of --scenario plant with its truth.
check_plant() {
    CASE=$1-fields
    F=$TMP/$1.cap
    T=$TMP/$1.jsonl
    local got want

    # DNS: per response "transport qname qtype rcode count types A;AAAA;CNAME;TXT;MX";
    # tshark lists each answer field on its own, so the values are grouped by type.
    jq -r 'select(.kind == "dns" and .answered) | (.answer_types) as $t | (.answer_data) as $d |
        [.transport, .qname, .qtype, .rcode, (.answers | tostring), ($t | join(",")),
         (["A", "AAAA", "CNAME", "TXT", "MX"] | map(. as $ty |
            [range(0; $t | length) | select($t[.] == $ty) | $d[.]] | join("|")) | join(";"))] |
        join(" ")' "$T" | LC_ALL=C sort >"$TMP/dns.want"
    tsh -Y 'dns.flags.response == 1' -T fields -E aggregator='|' -e tcp.stream -e dns.qry.name \
        -e dns.qry.type -e dns.flags.rcode -e dns.count.answers -e dns.resp.type -e dns.a \
        -e dns.aaaa -e dns.cname -e dns.txt -e dns.mx.preference -e dns.mx.mail_exchange |
        awk -F'\t' 'BEGIN { t[1] = "A"; t[5] = "CNAME"; t[15] = "MX"; t[16] = "TXT"; t[28] = "AAAA"
                            r[0] = "NOERROR"; r[3] = "NXDOMAIN" }
            { n = split($6, ty, "|"); types = ""
              for (i = 1; i <= $5 && i <= n; i++) types = types (i > 1 ? "," : "") t[ty[i]]
              m = split($11, pr, "|"); split($12, ex, "|"); mx = ""
              for (i = 1; i <= m; i++) mx = mx (i > 1 ? "|" : "") pr[i] " " ex[i]
              print ($1 != "" ? "tcp" : "udp"), $2, t[$3], r[$4], $5, types, \
                    $7 ";" $8 ";" $9 ";" $10 ";" mx }' | LC_ALL=C sort >"$TMP/dns.got"
    same_file "planted DNS answers" "$TMP/dns.want" "$TMP/dns.got"
    jq -r 'select(.kind == "dns" and (.answered | not)) | .qname' "$T" | LC_ALL=C sort >"$TMP/dnsq.want"
    tsh -2 -Y 'dns.flags.response == 0 && !dns.response_in' -T fields -e dns.qry.name |
        LC_ALL=C sort >"$TMP/dnsq.got"
    same_file "planted DNS queries without an answer" "$TMP/dnsq.want" "$TMP/dnsq.got"

    # HTTP: requests (method, host, uri, user agent), responses (status, type, lengths,
    # encodings, Content-Disposition filename), and the decoded bodies tshark exports.
    jq -r 'select(.plant == "http-download") | .http[] |
        [.method, .host, .uri, .user_agent] | join("\t")' "$T" >"$TMP/req.want"
    tsh -Y http.request -T fields -e http.request.method -e http.host -e http.request.uri \
        -e http.user_agent >"$TMP/req.got"
    same_file "planted HTTP requests" "$TMP/req.want" "$TMP/req.got"
    jq -r 'select(.plant == "http-download") | .http[] | [(.status | tostring), .content_type,
        (if .transfer_encoding == "" then (.body_len | tostring) else "" end),
        .content_encoding, .transfer_encoding, .filename] | join("\t")' "$T" >"$TMP/resp.want"
    tsh -Y http.response -T fields -E aggregator='|' -e http.response.code -e http.content_type \
        -e http.content_length_header -e http.content_encoding -e http.transfer_encoding \
        -e http.response.line |
        awk -F'\t' '{ f = ""; if (match($6, /filename="[^"]*"/)) f = substr($6, RSTART + 10, RLENGTH - 11)
            print $1 "\t" $2 "\t" $3 "\t" $4 "\t" $5 "\t" f }' >"$TMP/resp.got"
    same_file "planted HTTP responses" "$TMP/resp.want" "$TMP/resp.got"
    rm -rf "$TMP/objs" && mkdir "$TMP/objs"
    tsh -q --export-objects "http,$TMP/objs" >/dev/null
    jq -r 'select(.plant == "http-download") | .http[] | "\(.decoded_len) \(.md5) \(.sha256)"' "$T" |
        LC_ALL=C sort >"$TMP/obj.want"
    for f in "$TMP"/objs/*; do
        [ -f "$f" ] && echo "$(stat -c %s "$f") $(md5sum <"$f" | cut -d' ' -f1) $(sha256sum <"$f" | cut -d' ' -f1)"
    done | LC_ALL=C sort >"$TMP/obj.got"
    same_file "planted HTTP bodies (size, md5, sha256 of --export-objects http)" "$TMP/obj.want" "$TMP/obj.got"

    # TLS 1.2: SNI, JA3 (string and md5), JA3S, the certificate's hashes, serial, names, dates.
    jq -r 'select(.plant == "tls12") | [.sni, .ja3_string, .ja3, .ja3s_string, .ja3s, .alpn] |
        join("\t")' "$T" >"$TMP/tls.want"
    got=$(tsh -Y 'tls.handshake.type == 1' -T fields -e tls.handshake.extensions_server_name \
        -e tls.handshake.ja3_full -e tls.handshake.ja3)
    got="$got	$(tsh -Y 'tls.handshake.type == 2' -T fields -e tls.handshake.ja3s_full \
        -e tls.handshake.ja3s -e tls.handshake.extensions_alpn_str)"
    echo "$got" >"$TMP/tls.got"
    same_file "planted TLS SNI, JA3, JA3S, ALPN" "$TMP/tls.want" "$TMP/tls.got"
    tsh -Y tls.handshake.certificate -T fields -e tls.handshake.certificate | tr -d ':\n' |
        xxd -r -p >"$TMP/cert.der"
    want=$(jq -r 'select(.plant == "tls12") | "\(.cert_sha1) \(.cert_sha256) \(.cert_len)"' "$T")
    same "planted certificate sha1, sha256, length" "$want" \
        "$(sha1sum <"$TMP/cert.der" | cut -d' ' -f1) $(sha256sum <"$TMP/cert.der" | cut -d' ' -f1) $(stat -c %s "$TMP/cert.der")"
    want=$(jq -r 'select(.plant == "tls12") | [.cert_serial, "JP|JP",
        "Konseki Plant|\(.cert_subject_cn)|Konseki Plant|\(.cert_subject_cn)",
        ([.cert_not_before, .cert_not_after] | map(sub("T"; " ") | sub("Z"; " (UTC)")) | join("|")),
        (.cert_san | join("|"))] | join("\t")' "$T")
    same "planted certificate serial, issuer and subject, validity, SAN" "$want" \
        "$(tsh -Y x509af.serialNumber -T fields -E aggregator='|' -e x509af.serialNumber \
            -e x509sat.CountryName -e x509sat.uTF8String -e x509af.utcTime -e x509ce.dNSName)"

    # SSH: banners, HASSH and HASSHServer (algorithm strings and md5).
    jq -r 'select(.plant == "ssh") | .ssh_client, .ssh_server, .hassh_string, .hassh,
        .hassh_server_string, .hassh_server' "$T" >"$TMP/ssh.want"
    {
        tsh -Y ssh.protocol -T fields -e ssh.protocol
        tsh -Y ssh.kex.hassh -T fields -e ssh.kex.hassh_algorithms -e ssh.kex.hassh | tr '\t' '\n'
        tsh -Y ssh.kex.hasshserver -T fields -e ssh.kex.hasshserver_algorithms \
            -e ssh.kex.hasshserver | tr '\t' '\n'
    } >"$TMP/ssh.got"
    same_file "planted SSH banners and HASSH" "$TMP/ssh.want" "$TMP/ssh.got"

    # SMB2 + NTLMSSP + svcctl (PsExec).
    want=$(jq -r 'select(.plant == "smb-psexec") | [.user, .domain, .workstation] | join("\t")' "$T")
    same "planted NTLMSSP user, domain, workstation" "$want" \
        "$(tsh -Y ntlmssp.auth.username -T fields -e ntlmssp.auth.username -e ntlmssp.auth.domain \
            -e ntlmssp.auth.hostname)"
    want=$(jq -r 'select(.plant == "smb-psexec") | .shares | join(" ")' "$T")
    same "planted SMB2 trees" "$want" \
        "$(tsh -Y 'smb2.cmd == 3 && smb2.flags.response == 0' -T fields -e smb2.tree | tr '\n' ' ' | sed 's/ $//')"
    want=$(jq -r 'select(.plant == "smb-psexec") | .files | join(" ")' "$T")
    same "planted SMB2 files created" "$want" \
        "$(tsh -Y 'smb2.cmd == 5 && smb2.flags.response == 0' -T fields -e smb2.filename | tr '\n' ' ' | sed 's/ $//')"
    want=$(jq -r 'select(.plant == "smb-psexec") | "\(.file_writes | join(" ")) = \(.file_bytes); all \(.bytes_written)"' "$T")
    got=$(tsh -Y 'smb2.cmd == 9 && smb2.flags.response == 0' -T fields -e smb2.tree -e smb2.write_length |
        awk -F'\t' '$1 ~ /ADMIN\$$/ { l = l (l == "" ? "" : " ") $2; f += $2 } { a += $2 }
            END { print l " = " f "; all " a }')
    same "planted SMB2 writes of the file (lengths = total; all writes)" "$want" "$got"
    rm -rf "$TMP/sobjs" && mkdir "$TMP/sobjs"
    tsh -q --export-objects "smb,$TMP/sobjs" >/dev/null
    want=$(jq -r 'select(.plant == "smb-psexec") | "\(.file_bytes) \(.file_md5)"' "$T")
    got=$(f="$TMP/sobjs/%5c$(jq -r 'select(.plant == "smb-psexec") | .file_written' "$T")"
        [ -f "$f" ] && echo "$(stat -c %s "$f") $(md5sum <"$f" | cut -d' ' -f1)")
    same "planted SMB2 file (size, md5 of --export-objects smb)" "$want" "$got"
    want=$(jq -r 'select(.plant == "smb-psexec") | "\(.service_name)\t\(.service_display_name)\t\(.service_binary_path)"' "$T")
    same "planted svcctl CreateServiceW name, display name, binary path" "$want" \
        "$(tsh -Y 'svcctl.opnum == 12 && dcerpc.pkt_type == 0' -T fields -e svcctl.servicename \
            -e svcctl.displayname -e svcctl.binarypathname)"
    same "planted svcctl calls (opnums of requests)" "15 12 19 0 0" \
        "$(tsh -Y 'svcctl && dcerpc.pkt_type == 0' -T fields -e svcctl.opnum | tr '\n' ' ' | sed 's/ $//')"
    same "planted svcctl OpenSCManagerW machine" \
        "$(jq -r 'select(.plant == "smb-psexec") | .scm_machine' "$T")" \
        "$(tsh -Y 'svcctl.opnum == 15 && dcerpc.pkt_type == 0' -T fields -e svcctl.machinename)"

    # Kerberos: message sequence, client and service names, realm, etypes, error code.
    want=$(jq -r 'select(.plant == "kerberos-asrep") |
        "\(.cname) \(.realm) \(.sname | sub("/"; ",")) \(.etypes | map(tostring) | join(",")) \(.error_code)"' "$T")
    got=$(tsh -Y 'kerberos.msg_type == 10' -T fields -e kerberos.CNameString -e kerberos.realm \
        -e kerberos.SNameString -e kerberos.ENCTYPE | head -n 1 | tr '\t' ' ')
    got="$got $(tsh -Y 'kerberos.msg_type == 30' -T fields -e kerberos.error_code)"
    same "planted Kerberos cname, realm, sname, etypes, error code" "$want" "$got"
    same "planted Kerberos messages" "10 30 10 11" \
        "$(tsh -Y kerberos -T fields -e kerberos.msg_type | tr '\n' ' ' | sed 's/ $//')"
    same "planted Kerberos AS-REP client" "$(jq -r 'select(.plant == "kerberos-asrep") | "\(.cname) \(.realm)"' "$T")" \
        "$(tsh -Y 'kerberos.msg_type == 11' -T fields -e kerberos.CNameString -e kerberos.crealm | tr '\t' ' ')"
    same "planted sessions" "18 dns:13 http:1 kerberos:1 smb:1 ssh:1 tls:1" \
        "$(jq -s 'length' "$T") $(jq -r .kind "$T" | LC_ALL=C sort | uniq -c | awk '{ printf "%s%s:%s", (NR > 1 ? " " : ""), $2, $1 }')"
}
check_plant plant-eth-pcap
check_plant plant-sll2-pcapng
fi

# --- --scenario hunt: every planted threat as tshark decodes it
# check_hunt: one fields pass over the hunt capture, then one check per threat.
check_hunt() {
    CASE=hunt-threats
    F=$TMP/hunt-eth-pcap.cap
    T=$TMP/hunt-eth-pcap.jsonl
    H=$TMP/hunt.truth
    local got want
    # hunt truth: one threat line per hunt, valid JSON with the documented keys
    got=$(jq -r 'select(.threat) | .hunt' "$H" | LC_ALL=C sort | tr '\n' ' ')
    same "one threat line per hunt" "beacon cert cloud-exfil collection cross-zone dns-tunnel \
edge-probe egress http-client krb-spray long-conn mft-theft nxdomain psexec rare-tls remote-exec \
scan " "$got"
    same "hunt truth lines with every key" "$(wc -l <"$H")" \
        "$(jq -c 'select(has("hunt") and has("threat") and has("src") and has("dst") and has("name")
            and has("first") and has("last") and has("what") and .sessions > 0)' "$H" | wc -l)"
    same "hunts without a look-alike" "" \
        "$(jq -rs 'group_by(.hunt) | map(select(map(.threat | not) | any | not) | .[0].hunt) | join(" ")' "$H")"
    # size limits of the brief: at most 40 MB and 150,000 sessions
    got=$(stat -c %s "$F")
    if [ "$got" -le 40000000 ]; then ok; else bad "hunt capture is $got bytes (> 40 MB)"; fi
    got=$(wc -l <"$T")
    if [ "$got" -le 150000 ]; then ok; else bad "hunt capture has $got sessions (> 150,000)"; fi

    tsh -T fields -E aggregator='|' -e frame.time_epoch -e frame.len -e ip.src -e ip.dst \
        -e tcp.dstport -e tcp.flags.syn -e tcp.flags.ack -e tls.handshake.type \
        -e tls.handshake.extensions_server_name -e x509af.serialNumber -e x509sat.CountryName \
        -e dns.flags.response -e dns.qry.type -e dns.qry.name -e dns.flags.rcode -e dns.txt \
        -e smb2.cmd -e smb2.filename -e smb2.tree -e http.request.method -e http.request.uri \
        -e http.user_agent -e dcerpc.pkt_type -e _ws.col.Info -e kerberos.msg_type \
        -e kerberos.CNameString -e kerberos.error_code -e rdp.rt_cookie -e ldap.name \
        >"$TMP/hunt.fields"
    hf() { awk -F'\t' "$@" "$TMP/hunt.fields"; }
    hwant() { jq -r --arg h "$1" 'select(.hunt == $h and .threat) | .sessions' "$H"; }

    # beacon: one ClientHello per beacon session, 51-69 s apart (+ a DNS lookup at most)
    same "beacon ClientHellos with the C2 SNI" "$(hwant beacon)" \
        "$(hf '$3 == "10.1.10.23" && $8 ~ /(^|\|)1(\||$)/ && $9 == "cdn-telemetry.example-c2.net" { n++ } END { print n + 0 }')"
    got=$(hf '$3 == "10.1.10.23" && $4 == "198.51.100.77" && $6 == 1 && $7 == 0 { print $1 }' |
        awk 'NR > 1 { g = $1 - p; if (g < mn || mn == "") mn = g; if (g > mx) mx = g } { p = $1 }
            END { printf "%d %d", (mn >= 50.9), (mx <= 70.5) }')
    same "beacon intervals within 60 s +-15 %" "1 1" "$got"
    # cert: Cobalt Strike's serial and subject; the iLO certificate is self-signed
    same "Cobalt Strike certificate served by the C2" "08bb00ee Earth" \
        "$(hf '$3 == "198.51.100.77" && $10 != "" { split($11, c, "|"); print $10, c[1]; exit }')"
    # dns-tunnel: 400 TXT queries under t.tunnel-example.com, all answered with TXT
    same "tunnel TXT queries" "$(hwant dns-tunnel)" \
        "$(hf '$3 == "10.1.10.12" && $12 == 0 && $13 == 16 && $14 ~ /\.t\.tunnel-example\.com$/ { n++ } END { print n + 0 }')"
    same "tunnel TXT answers" "$(hwant dns-tunnel)" \
        "$(hf '$4 == "10.1.10.12" && $12 == 1 && $13 == 16 && $16 != "" { n++ } END { print n + 0 }')"
    # nxdomain: DGA-like names, all NXDOMAIN
    same "DGA NXDOMAIN answers" "$(hwant nxdomain)" \
        "$(hf '$4 == "10.1.10.27" && $12 == 1 && $15 == 3 && $14 ~ /^[a-z][a-z][a-z][a-z][a-z][a-z][a-z][a-z][a-z][a-z][a-z][a-z][a-z]*\.(com|net|info)$/ { n++ } END { print n + 0 }')"
    # http-client: PowerShell fetches /a.ps1, certutil's CryptoAPI the binary
    same "PowerShell download of /a.ps1" "1" \
        "$(hf '$3 == "10.1.10.38" && $21 == "/a.ps1" && $22 ~ /WindowsPowerShell\/5\.1/ { n++ } END { print n + 0 }')"
    # psexec: PSEXESVC.exe created on ADMIN$ (the CREATE request), svcctl CreateServiceW
    same "PSEXESVC.exe CREATE requests" 1 \
        "$(hf '$3 == "10.1.10.19" && $17 == 5 && $18 == "PSEXESVC.exe" { n++ } END { print n + 0 }')"
    same "CreateServiceW from the PsExec host" 1 \
        "$(hf '$3 == "10.1.10.19" && $24 ~ /CreateServiceW request/ { n++ } END { print n + 0 }')"
    # remote-exec: WinRM, SchRpcRegisterTask, DsGetNCChanges from a workstation to the DC
    same "WinRM POST /wsman from the workstation" 5 \
        "$(hf '$3 == "10.1.10.21" && $4 == "10.1.1.10" && $20 == "POST" && $21 == "/wsman" && $22 == "Microsoft WinRM Client" { n++ } END { print n + 0 }')"
    same "SchRpcRegisterTask and DsGetNCChanges requests" "1 6" \
        "$(hf '$3 == "10.1.10.21" && $24 ~ /SchRpcRegisterTask request/ { a++ } $3 == "10.1.10.21" && $24 ~ /DsGetNCChanges request/ { b++ } END { print a + 0, b + 0 }')"
    # scan: SYNs from one host to >= 200 internal addresses
    got=$(hf '$3 == "10.1.10.43" && $6 == 1 && $7 == 0 && $4 ~ /^10\.1\./ { d[$4] = 1 } END { print length(d) }')
    if [ "$got" -ge 200 ]; then ok; else bad "scan reached only $got addresses"; fi
    # cross-zone: the pivot host's SMB and RDP on day 3 only; affiliates never use them
    same "affiliate SMB/RDP sessions" "4 0" \
        "$(hf '$3 ~ /^10\.50\.1\./ && $6 == 1 && $7 == 0 && ($5 == 445 || $5 == 3389) { if ($3 == "10.50.1.23") a++; else b++ } END { print a + 0, b + 0 }')"
    same "RDP cookie of the pivot" "Cookie: mstshash=administrator" \
        "$(hf '$3 == "10.50.1.23" && $28 != "" { print $28; exit }')"
    # collection: >= 300 files opened on the share by one host
    got=$(hf '$3 == "10.1.10.26" && $17 == 5 && $18 != "" { n++ } END { print n + 0 }')
    if [ "$got" -ge 300 ]; then ok; else bad "collection opened only $got files"; fi
    # edge-probe: the exploit paths of the brief, then SMB + LDAP from the appliance to the DC
    for want in "/remote/fgt_lang?lang=/../../../..//////////dev/cmdb/sslvpn_websession" \
        "/dana-na/../dana/html5acc/guacamole/../../../../../../etc/passwd?/dana/html5acc/guacamole/" \
        "/vpn/../vpns/cfg/smb.conf" \
        "/+CSCOE+/translation-table?type=mst&textdomain=/%2bCSCOE%2b/portal_inc.lua" \
        "/global-protect/portal/css/login.css"; do
        same "edge probe $want" 1 "$(hf -v u="$want" '$3 == "185.220.101.42" && $21 == u { n++ } END { print n + 0 }')"
    done
    same "appliance to the DC (445, 389), after the probes" "445 389" \
        "$(hf '$3 == "185.220.101.42" && $21 != "" { last = $1 } $3 == "10.1.0.1" && $4 == "10.1.1.10" && $6 == 1 && $7 == 0 { printf "%s%s", (n++ ? " " : ""), ($1 > last ? $5 : "early") }')"
    same "LDAP bind DN of the appliance" "CN=svc-vpn,OU=Service Accounts,DC=corp,DC=example" \
        "$(hf '$3 == "10.1.0.1" && $29 != "" { print $29; exit }')"
    # krb-spray: >= 20 user names in AS-REQs within a minute, answered by errors 6 / 24
    t0=$(jq -r 'select(.hunt == "krb-spray" and .threat) | .first' "$H")
    got=$(hf -v t0="$(date -ud "$t0" +%s)" '$3 == "10.1.10.40" && $25 == 10 && $1 >= t0 && $1 - t0 <= 60 { u[$26] = 1 } END { print length(u) }')
    if [ "$got" -ge 20 ]; then ok; else bad "spray named only $got users within a minute"; fi
    same "spray errors (6 unknown, 24 pre-auth failed)" "30" \
        "$(hf '$4 == "10.1.10.40" && ($27 == 6 || $27 == 24) { n++ } END { print n + 0 }')"
    # volumes (frame.len: the bytes on the wire, also of frames cut by the snap length)
    got=$(hf '$3 == "10.1.10.14" && $4 == "162.125.5.14" { n += $2 } END { printf "%d", n / 1000000 }')
    if [ "$got" -ge 200 ]; then ok; else bad "exfil upload is $got MB"; fi
    got=$(hf '$3 == "10.1.1.30" && $4 == "45.146.164.110" { n += $2 } END { printf "%d", n / 1000000 }')
    if [ "$got" -ge 300 ]; then ok; else bad "MFT theft is $got MB"; fi
    t0=$(jq -r 'select(.hunt == "egress" and .threat) | .first' "$H" | cut -c1-10)
    got=$(hf -v d3="$(date -ud "$t0" +%s)" '$3 == "10.1.10.36" && $4 !~ /^10\./ {
            if ($1 >= d3) c += $2; else b += $2 } END { printf "%d", c / (b / 2) }')
    if [ "$got" -ge 20 ]; then ok; else bad "egress day 3 is only ${got}x the daily baseline"; fi
}

if [ -z "$ONLY" ] || [ "$ONLY" = hunt ]; then
    run_case hunt-eth-pcap ethernet --scenario hunt --seed 1 --hunt-truth "$TMP/hunt.truth"
    check_hunt
    CASE=hunt-determinism
    "$GEN" --scenario hunt --seed 1 --hunt-truth "$TMP/hunt2.truth" -o "$TMP/hunt2.cap"
    if cmp -s "$TMP/hunt-eth-pcap.cap" "$TMP/hunt2.cap"; then ok; else bad "same seed, different hunt captures"; fi
    if cmp -s "$TMP/hunt.truth" "$TMP/hunt2.truth"; then ok; else bad "same seed, different hunt truth"; fi
    rm -f "$TMP/hunt2.cap"
fi
[ "$ONLY" = hunt ] && { echo "gen-tshark: $PASS passed, $FAIL failed"; [ "$FAIL" -eq 0 ]; exit; }

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

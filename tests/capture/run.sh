#!/bin/sh
# Live capture tests: a private network namespace pair joined by a veth, generated
# captures replayed into one end with tcpreplay, `konseki capture` on the other.
# Compared with the source capture: packets, bytes, sessions (5-tuples with their
# counts), the extracted packets byte for byte; a BPF filter; queryable while
# running; SIGTERM flush; kill -9 in the middle of a replay then a restart (the
# store stays consistent); --user privilege drop.  Needs root and `ip netns`
# (CI runs as root); skips with a message otherwise.  Namespaces are always
# removed.  Prints "capture: N passed, N failed".
BUILD=${1:-build}
cd "$(dirname "$0")/../.." || exit 2
ROOT=$(pwd)
K="$ROOT/$BUILD/konseki"
GEN="$ROOT/$BUILD/konseki-gen"
PT="python3 $ROOT/tests/capture/pcaptool.py"
pass=0 fail=0 skip=0
export KONSEKI_STORE=

ok() { pass=$((pass+1)); }
bad() { echo "FAIL $T: $*"; fail=$((fail+1)); }
finish() {
    if [ "$skip" -gt 0 ]; then echo "capture: $pass passed, $fail failed, $skip skipped"
    else echo "capture: $pass passed, $fail failed"; fi
    [ "$fail" -eq 0 ]
    exit $?
}
skip_all() { echo "  skip capture: $*"; skip=1; finish; }

[ "$(id -u)" -eq 0 ] || skip_all "needs root (network namespaces and raw sockets)"
command -v tcpreplay >/dev/null || skip_all "tcpreplay is not installed (scripts/install-deps)"
NSA=kscap$$a NSB=kscap$$b
ip netns add "$NSA" 2>/dev/null || skip_all "ip netns is not available here"
W=$(mktemp -d /tmp/konseki-capture.XXXXXX)
chmod 755 "$W" # the --user test's store lives below it
PIDS=""
cleanup() {
    for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
    umount "$W/small" 2>/dev/null
    ip netns del "$NSA" 2>/dev/null
    ip netns del "$NSB" 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$W" # KEEP=1 keeps the work folder for a post-mortem
}
trap cleanup EXIT
trap 'exit 1' INT TERM
ip netns add "$NSB" || skip_all "cannot create a second namespace"
ip link add va netns "$NSA" type veth peer name vb netns "$NSB" || skip_all "no veth support"
ip link add va2 netns "$NSA" type veth peer name vb2 netns "$NSB" || skip_all "no veth support"
for ns in "$NSA:va" "$NSB:vb" "$NSA:va2" "$NSB:vb2"; do
    n=${ns%%:*} i=${ns#*:}
    # No IPv6 autoconfiguration chatter: only replayed packets cross the link.
    ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$n" link set "$i" mtu 9000 up
done
inA() { ip netns exec "$NSA" "$@"; }
inB() { ip netns exec "$NSB" "$@"; }

# Start a capture in the background on vb; its pid in $CAP.
start_capture() { # store, extra args...
    st=$1; shift
    # not through inB: $! must be konseki itself (ip netns exec execs it), not a subshell
    ip netns exec "$NSB" "$K" capture --store "$st" -i vb --buffer 64M --stats-every 0 "$@" \
        >"$W/cap.out" 2>"$W/cap.err" &
    CAP=$!
    PIDS="$PIDS $CAP"
    # Ready when the run exists in the catalog (interfaces are open by then).
    for _ in $(seq 50); do
        [ -f "$st/catalog.db" ] && grep -q "capturing capture:" "$W/cap.err" && return 0
        sleep 0.1
    done
    return 1
}
stop_capture() { kill -TERM "$CAP"; wait "$CAP"; }
replay() { inA tcpreplay -q -i va "$@" >/dev/null 2>&1; }
# 5-tuples with their per-direction counts, sorted: what a session is, whatever the timing.
tuples() { "$K" query --store "$1" --csv "${2:-}" | tail -n +2 |
    awk -F, '{print $5,$6,$7,$8,$9,$10,$12,$13,$14,$15,$22}' | sort; }
counter() { "$K" stats --store "$1" --json | python3 -c \
    "import json,sys; print(json.load(sys.stdin)['counters'].get('$2', 0))"; }

"$GEN" --seed 31 --mix default --sessions 400 --duration 20s -o "$W/src.pcap" || exit 2
"$GEN" --seed 32 --mix default --size 40M --duration 60s -o "$W/big.pcap" || exit 2
"$K" ingest -q --store "$W/ref" "$W/src.pcap" || exit 2
set -- $($PT count "$W/src.pcap"); src_pkts=$1 src_bytes=$2

# ---------------------------------------------------------------- replay, SIGTERM, compare
T=capture_sigterm_exit_0
start_capture "$W/s1" || bad "capture did not start: $(cat "$W/cap.err")"
replay --pps 20000 "$W/src.pcap"
sleep 0.5
stop_capture; rc=$?
if [ $rc -eq 0 ]; then ok; else bad "exit $rc: $(cat "$W/cap.err")"; fi

T=capture_packets_and_bytes_match_source
got_pkts=$(counter "$W/s1" capture.captured) got_bytes=$(counter "$W/s1" capture.bytes)
drops=$(counter "$W/s1" capture.kernel_drop)
if [ "$got_pkts" = "$src_pkts" ] && [ "$got_bytes" = "$src_bytes" ] && [ "$drops" = 0 ]; then ok
else bad "captured $got_pkts packets / $got_bytes bytes (kernel drops $drops), source $src_pkts / $src_bytes"; fi

T=capture_sessions_match_file_ingest
tuples "$W/ref" >"$W/ref.tuples"
tuples "$W/s1" >"$W/s1.tuples"
n=$(wc -l <"$W/ref.tuples")
if [ "$n" -ge 300 ] && cmp -s "$W/ref.tuples" "$W/s1.tuples"; then ok
else bad "$n reference sessions; differences: $(diff "$W/ref.tuples" "$W/s1.tuples" | head -5)"; fi

T=capture_run_complete_in_catalog
if "$K" stats --store "$W/s1" | grep -q "complete .*capture:vb"; then ok
else bad "$("$K" stats --store "$W/s1" | grep capture)"; fi

T=capture_extracted_packets_equal_source
"$K" pcap --store "$W/s1" -w "$W/s1-all.pcap" 'bytes >= 0' 2>/dev/null
if $PT same "$W/src.pcap" "$W/s1-all.pcap"; then ok; else bad "extraction differs from the source"; fi

T=capture_store_files_private
modes=$(find "$W/s1" -type f ! -perm 600 | head -3; find "$W/s1" -type d ! -perm 700 | head -3)
if [ -z "$modes" ]; then ok; else bad "not private: $modes"; fi

# ---------------------------------------------------------------- BPF filter
T=capture_bpf_filter_keeps_only_port_53
# Linux hands the filter VLAN-tagged frames with the tag taken off (libpcap puts it back in
# the bytes we get), so live `port 53` also keeps tagged DNS; a file needs `vlan and …`.
tcpdump -r "$W/src.pcap" -w "$W/dns.pcap" 'port 53 or (vlan and port 53)' 2>/dev/null
"$K" ingest -q --store "$W/ref53" "$W/dns.pcap"
start_capture "$W/s53" --filter 'port 53' || bad "capture did not start: $(cat "$W/cap.err")"
replay --pps 20000 "$W/src.pcap"
sleep 0.5
stop_capture
tuples "$W/ref53" >"$W/ref53.tuples"
tuples "$W/s53" >"$W/s53.tuples"
others=$(awk '$3 != 53 && $5 != 53' "$W/s53.tuples" | wc -l)
n=$(wc -l <"$W/s53.tuples")
if [ "$n" -gt 10 ] && [ "$others" -eq 0 ] && cmp -s "$W/ref53.tuples" "$W/s53.tuples" &&
   [ "$(counter "$W/s53" capture.captured)" = "$($PT count "$W/dns.pcap" | cut -d' ' -f1)" ]; then ok
else bad "$n sessions, $others not on port 53; $(diff "$W/ref53.tuples" "$W/s53.tuples" | head -3)"; fi

# ---------------------------------------------------------------- two interfaces
T=capture_two_interfaces_round_robin
start_capture "$W/s6" -i vb2 || bad "capture did not start: $(cat "$W/cap.err")"
ip netns exec "$NSA" tcpreplay -q -i va2 --pps 10000 "$W/dns.pcap" >/dev/null 2>&1 &
RP=$!
replay --pps 20000 "$W/src.pcap"
wait "$RP"
sleep 0.5
stop_capture
n53=$($PT count "$W/dns.pcap" | cut -d' ' -f1)
if [ "$(counter "$W/s6" capture.captured)" = $((src_pkts + n53)) ] &&
   [ "$(counter "$W/s6" capture.vb.received)" = "$src_pkts" ] &&
   [ "$(counter "$W/s6" capture.vb2.received)" = "$n53" ] &&
   "$K" stats --store "$W/s6" | grep -q "complete .*capture:vb,vb2"; then ok
else bad "$("$K" stats --store "$W/s6" | grep 'capture\.')"; fi

# ---------------------------------------------------------------- queryable while running
T=capture_queryable_while_running
start_capture "$W/s2" --udp-idle 1s --tcp-idle 1s --other-idle 1s ||
    bad "capture did not start: $(cat "$W/cap.err")"
replay --pps 20000 "$W/src.pcap"
seen=0
for _ in $(seq 40); do
    seen=$("$K" query --store "$W/s2" --csv 2>/dev/null | tail -n +2 | wc -l)
    [ "$seen" -ge "$n" ] && [ "$seen" -ge 300 ] && break
    sleep 0.25
done
running=$("$K" stats --store "$W/s2" | grep -c "interrupted .*capture:vb")
if [ "$seen" -ge 300 ] && [ "$running" = 1 ] && kill -0 "$CAP"; then ok
else bad "$seen sessions visible while running (run listed as running: $running)"; fi
stop_capture

# ---------------------------------------------------------------- kill -9, restart
T=capture_kill9_restart_recovers
start_capture "$W/s3" --checkpoint-every 300ms --udp-idle 0.2s --tcp-idle 0.5s || bad "capture did not start: $(cat "$W/cap.err")"
ip netns exec "$NSA" tcpreplay -q -i va --mbps 150 "$W/big.pcap" >/dev/null 2>&1 &
RP=$!
PIDS="$PIDS $RP"
sleep 1.3
kill -9 "$CAP"; wait "$CAP" 2>/dev/null
wait "$RP"
before=$(counter "$W/s3" capture.captured)
# A write torn by the kill: a record header that promises 1000 bytes, and 100 of them.
seg=$(ls "$W/s3/pcap" | tail -1)
python3 -c "import struct,sys; sys.stdout.buffer.write(struct.pack('<IIII', 1, 0, 1000, 1000) + bytes(100))" \
    >>"$W/s3/pcap/$seg"
start_capture "$W/s3" || bad "restart failed: $(cat "$W/cap.err")"
replay --pps 20000 "$W/src.pcap"
sleep 0.3
stop_capture; rc=$?
runs=$("$K" stats --store "$W/s3")
run1=$(for f in "$W"/s3/meta/*.db; do sqlite3 "$f" "SELECT count(*) FROM sessions WHERE ingest_id=1"; done |
    awk '{s += $1} END {print s + 0}')
# at least our 116 bytes are cut (more when the kill itself tore a write)
cut=$(sed -n 's/.*kept, \([0-9]*\) bytes of torn.*/\1/p' "$W/cap.err")
if [ $rc -eq 0 ] && grep -q "recovered 1 interrupted capture run" "$W/cap.err" &&
   [ "${cut:-0}" -ge 116 ] &&
   [ "$run1" -gt 0 ] &&
   echo "$runs" | grep -q "2  complete .*capture:vb" &&
   echo "$runs" | grep -q "1  interrupted .*capture:vb" &&
   echo "$runs" | grep -q "recovered at the next start"; then ok
else bad "rc=$rc, $run1 sessions of run 1; $(cat "$W/cap.err") $runs"; fi

T=capture_after_kill9_store_consistent
# Every segment is a whole pcap of exactly the size the catalog records.
bad_seg=""
for row in $(sqlite3 "$W/s3/catalog.db" "SELECT id || ':' || size FROM segments"); do
    f=$(printf '%s/pcap/%010d.pcap' "$W/s3" "${row%%:*}")
    [ "$(stat -c %s "$f")" = "${row#*:}" ] && $PT whole "$f" || bad_seg="$bad_seg $row"
done
# Every committed session's packets come back, and they are packets that were sent.
"$K" pcap --store "$W/s3" -w "$W/s3-all.pcap" 'bytes >= 0' 2>"$W/pcap.err"; prc=$?
want=$("$K" query --store "$W/s3" --csv | tail -n +2 | awk -F, '{s += $12 + $13} END {print s}')
got=$($PT count "$W/s3-all.pcap" | cut -d' ' -f1)
if [ -z "$bad_seg" ] && [ $prc -eq 0 ] && [ "$want" = "$got" ] && [ "$before" -gt 0 ]; then ok
else bad "segments not whole:$bad_seg; pcap rc=$prc $(cat "$W/pcap.err"); $want packets in sessions, $got extracted; $before before the kill"; fi

T=capture_after_kill9_packets_are_sent_packets
python3 - "$W/big.pcap" "$W/src.pcap" "$W/both.pcap" <<'EOF'
import sys
# Concatenate two classic pcaps with the same header (the generator's), for the subset check.
a = open(sys.argv[1], "rb").read(); b = open(sys.argv[2], "rb").read()
open(sys.argv[3], "wb").write(a + b[24:])
EOF
if $PT subset "$W/s3-all.pcap" "$W/both.pcap"; then ok; else bad "extracted packets that were never sent"; fi

# ---------------------------------------------------------------- retention while capturing
T=capture_retain_keeps_store_within_budget
# 45 MB replayed at 5 MB/s into 2 MiB segments under a 10 MiB budget: the oldest packets and
# sessions go together while capture runs, and what stays is consistent (every listed packet
# extractable).  Retention never cuts into what live sessions still hold in memory, so the
# timeouts are short here (sessions stay young) and the bound allows ~2 s of traffic on top.
# An indicator for the internal network matches (nearly) every session as it is captured; the
# findings of the sessions retention deletes must go with them.
mkdir -p "$W/s5" && echo 10.0.0.0/8 >"$W/s5-ioc.txt" &&
    "$K" ioc import --store "$W/s5" --source net "$W/s5-ioc.txt" >/dev/null || bad "ioc import"
start_capture "$W/s5" --segment-size 2M --retain 10M --checkpoint-every 0.5s \
    --active-timeout 1s --tcp-idle 1s --udp-idle 1s --other-idle 1s --tcp-closed 0.2s ||
    bad "capture did not start: $(cat "$W/cap.err")"
replay --mbps 40 "$W/big.pcap"
sleep 2.5
stop_capture; rc=$?
total=$(du -sb "$W/s5" | cut -f1)
"$K" pcap --store "$W/s5" -w "$W/s5-all.pcap" 'bytes >= 0' 2>"$W/pcap.err"; prc=$?
want=$("$K" query --store "$W/s5" --csv | tail -n +2 | awk -F, '{s += $12 + $13} END {print s+0}')
got=$($PT count "$W/s5-all.pcap" | cut -d' ' -f1)
captured=$(counter "$W/s5" capture.captured)
pruned=$(grep -c "retention removed [1-9]" "$W/cap.err")
if [ $rc -eq 0 ] && [ "$total" -le $((22 * 1048576)) ] && [ "$captured" -gt 30000 ] &&
    [ "$pruned" -ge 2 ] &&
    grep -q "retention removed" "$W/cap.err" && [ $prc -eq 0 ] && [ "$want" = "$got" ]; then ok
else bad "rc=$rc, $total bytes on disk for a 10 MiB budget, $captured packets captured," \
    "pcap rc=$prc, $want packets in sessions, $got extracted: $(tail -3 "$W/cap.err")"; fi
T=capture_retain_cuts_ioc_findings
# the sessions with a finding are exactly the stored ones in the network: none of those retention
# deleted (read ioc.db itself: `ioc match` would apply the cut on its own before listing)
"$K" query --store "$W/s5" --csv 'ip == 10.0.0.0/8' | tail -n +2 | cut -d, -f3 | sort -u \
    >"$W/s5.ids"
sqlite3 "$W/s5/ioc.db" "SELECT printf('%016x', session) FROM findings" | sort -u >"$W/s5.found"
if [ -s "$W/s5.ids" ] && cmp -s "$W/s5.ids" "$W/s5.found"; then ok
else bad "$(wc -l <"$W/s5.ids") stored sessions in 10.0.0.0/8, $(wc -l <"$W/s5.found") with" \
    "findings, $(comm -13 "$W/s5.ids" "$W/s5.found" | wc -l) of those no longer stored"; fi

# ---------------------------------------------------------------- disk nearly full
T=capture_disk_nearly_full_keeps_sessions_not_packets
# A 64 MiB tmpfs with --min-free 100M is "nearly full" from the start: packets are not stored,
# sessions and their records are, and konseki says so.
mkdir -p "$W/small" && mount -t tmpfs -o size=64M,mode=0755 tmpfs "$W/small" || bad "cannot mount a tmpfs"
start_capture "$W/small/s" --min-free 100M --checkpoint-every 0.5s ||
    bad "capture did not start: $(cat "$W/cap.err")"
sleep 1
replay --pps 20000 "$W/src.pcap"
sleep 0.5
stop_capture; rc=$?
not_stored=$(counter "$W/small/s" packets.not_stored_disk_full)
nsess=$("$K" query --store "$W/small/s" --csv | tail -n +2 | wc -l)
"$K" pcap --store "$W/small/s" -w "$W/small-all.pcap" 'bytes >= 0' 2>/dev/null
got=$($PT count "$W/small-all.pcap" 2>/dev/null | cut -d' ' -f1)
if [ $rc -eq 0 ] && [ "$not_stored" = "$src_pkts" ] && [ "$nsess" -ge 300 ] &&
    [ "${got:-0}" = 0 ] && grep -q "packets are no longer stored" "$W/cap.err"; then ok
else bad "rc=$rc, $not_stored of $src_pkts packets not stored, $nsess sessions, $got extracted:" \
    "$(tail -2 "$W/cap.err")"; fi
umount "$W/small" 2>/dev/null

# ---------------------------------------------------------------- privileges
T=capture_user_drops_privileges
if id nobody >/dev/null 2>&1; then
    start_capture "$W/s4" --user nobody || bad "capture did not start: $(cat "$W/cap.err")"
    # `ip netns exec` execs konseki: $CAP is konseki itself
    uid=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$CAP/status" 2>/dev/null)
    replay --pps 20000 "$W/src.pcap"
    stop_capture; rc=$?
    nuid=$(id -u nobody)
    owners=$(find "$W/s4" ! -user nobody | head -3)
    if [ "$uid" = "$nuid $nuid $nuid $nuid" ] && [ $rc -eq 0 ] && [ -z "$owners" ] &&
       [ "$(counter "$W/s4" capture.captured)" = "$src_pkts" ]; then ok
    else bad "uid '$uid' rc=$rc, captured $(counter "$W/s4" capture.captured) of $src_pkts, not nobody's: $owners $(cat "$W/cap.err")"; fi
    T=capture_user_refuses_foreign_store
    err=$(inB "$K" capture --store "$W/s1" -i vb --user nobody 2>&1); rc=$?
    if [ $rc -eq 1 ] && echo "$err" | grep -q "chown -R nobody"; then ok; else bad "rc=$rc $err"; fi
else
    echo "  skip $T: no user 'nobody'"; skip=$((skip+1))
fi

T=capture_bad_interface_exit_1
err=$(inB "$K" capture --store "$W/s5" -i nosuch0 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$err" | grep -q "nosuch0: no such interface"; then ok; else bad "rc=$rc $err"; fi

T=capture_bad_filter_exit_1
err=$(inB "$K" capture --store "$W/s5" -i vb --filter 'port nonsense' 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$err" | grep -q "filter 'port nonsense'"; then ok; else bad "rc=$rc $err"; fi

finish

#!/bin/sh
# End-to-end tests of the konseki binary: duplicate detection, resume after a
# truncated file, SIGINT and kill -9; byte-identical extraction checked against
# the original capture and against tcpdump's BPF as an independent oracle;
# compressed and stdin input; errors and exit codes; permissions; partition
# pruning; retention (prune by age and size, kill -9 in the middle of a prune).  Prints "e2e: N passed, N failed".
BUILD=${1:-build}
cd "$(dirname "$0")/../.." || exit 2
ROOT=$(pwd)
K="$ROOT/$BUILD/konseki"
GEN="$ROOT/$BUILD/konseki-gen"
CORPUS="$ROOT/../shared/corpus"
W=$(mktemp -d /tmp/konseki-e2e.XXXXXX)
trap 'rm -rf "$W"' EXIT
pass=0 fail=0 skip=0
export KONSEKI_STORE=

ok() { pass=$((pass+1)); }
bad() { echo "FAIL $T: $*"; fail=$((fail+1)); }
skip() { echo "  skip $T: $*"; skip=$((skip+1)); }

# Packet records of a classic pcap (everything after the 24-byte file header).
records() { tail -c +25 "$1"; }

# Sessions as JSON without ingest-dependent fields are compared whole: ids are
# deterministic (ingest 1 in a fresh store), so two stores built from the same
# input in different ways must print the same lines.
sessions() { "$K" query --store "$1" --json; }

"$GEN" --seed 11 --scenario basic -o "$W/basic.pcap" --truth "$W/basic.truth" || exit 2
"$GEN" --seed 12 --mix default --size 60M -o "$W/mix.pcap" || exit 2
records "$W/mix.pcap" >"$W/mix.rec"

T=ingest_twice_is_skipped
rm -rf "$W/s"
"$K" ingest -q --store "$W/s" "$W/basic.pcap" || bad "first ingest failed"
out=$("$K" ingest --store "$W/s" "$W/basic.pcap" 2>&1); rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q "already ingested"; then ok; else bad "rc=$rc: $out"; fi

T=compressed_and_stdin_are_the_same_capture
gzip -c "$W/basic.pcap" >"$W/basic.pcap.gz"
zstd -q -c "$W/basic.pcap" >"$W/basic.pcap.zst"
o1=$("$K" ingest --store "$W/s" "$W/basic.pcap.gz" 2>&1)
o2=$("$K" ingest --store "$W/s" "$W/basic.pcap.zst" 2>&1)
o3=$("$K" ingest --store "$W/s" - <"$W/basic.pcap.gz" 2>&1)
if [ "$(printf '%s\n%s\n%s\n' "$o1" "$o2" "$o3" | grep -c "already ingested")" = 3 ]; then ok
else bad "$o1 / $o2 / $o3"; fi

T=compressed_and_stdin_ingest_equal
for f in gz zst; do
    rm -rf "$W/s_$f"
    "$K" ingest -q --store "$W/s_$f" - <"$W/basic.pcap.$f" || bad "stdin $f ingest failed"
done
if [ "$(sessions "$W/s")" = "$(sessions "$W/s_gz")" ] &&
   [ "$(sessions "$W/s")" = "$(sessions "$W/s_zst")" ] && [ -n "$(sessions "$W/s")" ]; then
    ok; else bad "sessions differ between plain, gzip and zstd input"; fi

T=not_a_capture_exit_1_one_line
printf 'hello, this is not a capture\n' >"$W/text.pcap"
err=$("$K" ingest --store "$W/s" "$W/text.pcap" 2>&1 >/dev/null); rc=$?
if [ $rc -eq 1 ] && [ "$(echo "$err" | wc -l)" -eq 1 ] && echo "$err" | grep -q "text.pcap: not a pcap"; then
    ok; else bad "rc=$rc err=$err"; fi

T=missing_file_exit_1
err=$("$K" ingest --store "$W/s" "$W/nope.pcap" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$err" | grep -q "nope.pcap"; then ok; else bad "rc=$rc err=$err"; fi

T=truncated_then_complete_file_resumes
size=$(stat -c %s "$W/mix.pcap")
head -c $((size / 2 + 7)) "$W/mix.pcap" >"$W/half.pcap"
rm -rf "$W/r" "$W/full"
err=$("$K" ingest -q --store "$W/r" "$W/half.pcap" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$err" | grep -q "half.pcap: offset [0-9]*, packet [0-9]*:"; then ok; else bad "rc=$rc err=$err"; fi
T=truncated_file_keeps_sessions_before_damage
n=$("$K" query --store "$W/r" --csv | tail -n +2 | wc -l)
if [ "$n" -gt 100 ]; then ok; else bad "only $n sessions kept"; fi
T=complete_file_after_truncated_gives_same_store
cp "$W/mix.pcap" "$W/mix-copy.pcap"
out=$("$K" ingest --store "$W/r" "$W/mix-copy.pcap" 2>&1); rc=$?
"$K" ingest -q --store "$W/full" "$W/mix.pcap"
if [ $rc -eq 0 ] && echo "$out" | grep -q "resuming truncated" &&
   [ "$(sessions "$W/r")" = "$(sessions "$W/full")" ]; then ok; else bad "rc=$rc $out"; fi

T=extract_all_is_byte_identical
"$K" pcap --store "$W/full" -w "$W/all.pcap" '' 2>/dev/null
if records "$W/all.pcap" | cmp -s - "$W/mix.rec"; then
    ok; else bad "extracted packets differ from the original"; fi

T=sigint_then_rerun_equals_clean_ingest
# The capture arrives on stdin in two parts with a pause between them, so the
# signal lands in the middle of the ingest however fast the machine is.
rm -rf "$W/i"
{ head -c 30000000 "$W/mix.pcap"; sleep 2; tail -c +30000001 "$W/mix.pcap"; } |
    "$K" ingest -q --store "$W/i" --segment-size 8M - & pid=$!
sleep 1; kill -INT $pid; wait $pid; rc=$?
out=$("$K" ingest --store "$W/i" --segment-size 8M "$W/mix.pcap" 2>&1); rc2=$?
if [ $rc -eq 130 ] && [ "$(sessions "$W/i")" = "$(sessions "$W/full")" ] && [ $rc2 -eq 0 ] &&
   echo "$out" | grep -q "resuming interrupted"; then ok
else bad "first rc=$rc, rerun rc=$rc2: $out"; fi
T=sigint_store_extracts_byte_identical
"$K" pcap --store "$W/i" -w "$W/all-i.pcap" '' 2>/dev/null
if records "$W/all-i.pcap" | cmp -s - "$W/mix.rec"; then ok; else bad "differs"; fi

T=kill9_at_several_moments_then_rerun_equals_clean_ingest
good=1
for delay in 0.05 0.5 1.5; do
    rm -rf "$W/k"
    { head -c $((${delay%.*} * 1000000 + 20000000)) "$W/mix.pcap"; sleep 2; tail -c +$((${delay%.*} * 1000000 + 20000001)) "$W/mix.pcap"; } |
        "$K" ingest -q --store "$W/k" --segment-size 4M - & pid=$!
    sleep $delay; kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
    # Any command works on the crashed store; the re-run completes it.
    "$K" stats --store "$W/k" >/dev/null 2>&1 || { good=0; echo "  stats failed after kill at $delay"; }
    "$K" ingest -q --store "$W/k" --segment-size 4M "$W/mix.pcap" || { good=0; echo "  rerun failed after kill at $delay"; }
    if [ "$(sessions "$W/k")" != "$(sessions "$W/full")" ]; then good=0; echo "  sessions differ after kill at $delay"; fi
    "$K" pcap --store "$W/k" -w "$W/all-k.pcap" '' 2>/dev/null
    records "$W/all-k.pcap" | cmp -s - "$W/mix.rec" || { good=0; echo "  packets differ after kill at $delay"; }
done
if [ $good = 1 ]; then ok; else bad "see above"; fi

T=zstd_store_sessions_and_extraction_equal_plain
# Compressed segments (ingest --compress zstd): the same sessions, the same packets.
rm -rf "$W/z"
"$K" ingest -q --store "$W/z" --compress zstd "$W/mix.pcap" || bad "zstd ingest failed"
"$K" pcap --store "$W/z" -w "$W/all-z.pcap" '' 2>/dev/null
if [ "$(sessions "$W/z")" = "$(sessions "$W/full")" ] && records "$W/all-z.pcap" | cmp -s - "$W/mix.rec" &&
   [ "$(find "$W/z/pcap" -name '*.pcap.zst' | wc -l)" = 1 ] && [ -z "$(find "$W/z/pcap" -name '*.pcap')" ]
then ok; else bad "zstd store differs from the plain one"; fi

T=zstd_d_of_a_segment_is_the_plain_segment
# Plain zstd frames + a skippable seek table: the standard tool restores the pcap.
if zstd -d -q -c "$W/z/pcap/0000000001.pcap.zst" | cmp -s - "$W/full/pcap/0000000001.pcap"; then ok
else bad "zstd -d output differs from the plain store's segment"; fi

T=zstd_extract_one_session_reads_only_its_frames
id=$("$K" query --store "$W/z" --csv --limit 1 --sort -time 'tcp.state == REJ' | tail -1 | cut -d, -f3)
err=$("$K" pcap --store "$W/z" -w "$W/one-z.pcap" "event.id == $id" 2>&1)
"$K" pcap --store "$W/full" -w "$W/one-p.pcap" "event.id == $id" 2>/dev/null
frames=$(echo "$err" | sed -n 's/.*(\([0-9]*\) compressed frames read).*/\1/p')
total=$("$K" stats --store "$W/z" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["packet_bytes"] // 262144)')
if [ -n "$id" ] && cmp -s "$W/one-z.pcap" "$W/one-p.pcap" && [ "${frames:-99}" -le 2 ] && [ "$total" -ge 100 ]; then ok
else bad "session $id: $err (store has ~$total frames)"; fi

T=zstd_sigint_reader_then_resume_equals_clean_ingest
# An interrupted run leaves unsealed segments: readers use the catalog's frame table, the
# resumed run (no --compress: the store remembers it) cuts them at the checkpoint and goes on.
rm -rf "$W/zi"
{ head -c 30000000 "$W/mix.pcap"; sleep 2; tail -c +30000001 "$W/mix.pcap"; } |
    "$K" ingest -q --store "$W/zi" --compress zstd:3 --segment-size 8M - & pid=$!
sleep 1; kill -INT $pid; wait $pid; rc=$?
n1=$("$K" query --store "$W/zi" --json | python3 -c 'import json,sys; print(sum(json.loads(l)["network"]["packets"] for l in sys.stdin))')
err=$("$K" pcap --store "$W/zi" -w "$W/part-zi.pcap" '' 2>&1); rc1=$?
out=$("$K" ingest --store "$W/zi" --segment-size 8M "$W/mix.pcap" 2>&1); rc2=$?
"$K" pcap --store "$W/zi" -w "$W/all-zi.pcap" '' 2>/dev/null
plain=$(find "$W/zi/pcap" -name '*.pcap' | wc -l)
if [ $rc -eq 130 ] && [ $rc1 -eq 0 ] && [ "$n1" -gt 0 ] && echo "$err" | grep -q "wrote $n1 packets" &&
   [ $rc2 -eq 0 ] && [ "$(sessions "$W/zi")" = "$(sessions "$W/full")" ] && [ "$plain" = 0 ] &&
   records "$W/all-zi.pcap" | cmp -s - "$W/mix.rec"; then ok
else bad "rc=$rc/$rc1/$rc2 committed packets $n1, $plain plain files: $err / $out"; fi

T=zstd_kill9_then_rerun_equals_clean_ingest
rm -rf "$W/zk"
{ head -c 20000000 "$W/mix.pcap"; sleep 2; tail -c +20000001 "$W/mix.pcap"; } |
    "$K" ingest -q --store "$W/zk" --compress zstd --segment-size 4M - & pid=$!
sleep 0.5; kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
"$K" stats --store "$W/zk" >/dev/null 2>&1; rc1=$?
"$K" ingest -q --store "$W/zk" --segment-size 4M "$W/mix.pcap"; rc2=$?
"$K" pcap --store "$W/zk" -w "$W/all-zk.pcap" '' 2>/dev/null
if [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ "$(sessions "$W/zk")" = "$(sessions "$W/full")" ] &&
   records "$W/all-zk.pcap" | cmp -s - "$W/mix.rec"; then ok
else bad "stats rc=$rc1 rerun rc=$rc2"; fi

T=zstd_bad_level_is_a_user_error
err=$("$K" ingest --store "$W/zbad" --compress zstd:99 "$W/basic.pcap" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$err" | grep -q "bad compression 'zstd:99'"; then ok; else bad "rc=$rc $err"; fi

T=extract_one_session_matches_tcpdump_bpf
# tcpdump's "host/port" primitives do not look inside VLAN tags: pick an untagged session.
line=$("$K" query --store "$W/full" --csv 'proto == tcp && packets > 10 && vlan != EXISTS!' --limit 1 | tail -1)
sip=$(echo "$line" | cut -d, -f6); sp=$(echo "$line" | cut -d, -f7)
dip=$(echo "$line" | cut -d, -f8); dp=$(echo "$line" | cut -d, -f9)
"$K" pcap --store "$W/full" -w "$W/one.pcap" "ip.src == $sip && port.src == $sp && ip.dst == $dip && port.dst == $dp" 2>/dev/null
tcpdump -r "$W/mix.pcap" -w "$W/one-bpf.pcap" "tcp and host $sip and host $dip and port $sp and port $dp" 2>/dev/null
records "$W/one-bpf.pcap" >"$W/one-bpf.rec"
if [ -n "$sip" ] && [ -s "$W/one-bpf.rec" ] && records "$W/one.pcap" | cmp -s - "$W/one-bpf.rec"; then
    ok; else bad "session $sip:$sp -> $dip:$dp differs from tcpdump's"; fi

T=extract_dns_matches_tshark_filter
# tshark's udp.port sees through 802.1Q/QinQ, so it selects the same packets.
"$K" pcap --store "$W/full" -w "$W/dns.pcap" 'proto == udp && port == 53' 2>/dev/null
tshark -r "$W/mix.pcap" -Y 'udp.port == 53' -w "$W/dns-tshark.pcap" -F pcap 2>/dev/null
records "$W/dns-tshark.pcap" >"$W/dns-tshark.rec"
if [ -s "$W/dns-tshark.rec" ] && records "$W/dns.pcap" | cmp -s - "$W/dns-tshark.rec"; then ok
else bad "konseki and tshark select different DNS packets"; fi

T=query_error_points_at_column
err=$("$K" query --store "$W/full" 'port.dst == 53 && ipp == 1.2.3.4' 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$err" | grep -q "column 19"; then ok; else bad "rc=$rc $err"; fi

T=query_csv_json_table_agree
c=$("$K" query --store "$W/full" --csv 'proto == udp' | tail -n +2 | wc -l)
j=$("$K" query --store "$W/full" --json 'proto == udp' | wc -l)
t=$("$K" query --store "$W/full" 'proto == udp' | tail -n +2 | wc -l)
if [ "$c" -gt 0 ] && [ "$c" -eq "$j" ] && [ "$c" -eq "$t" ]; then ok; else bad "csv $c json $j table $t"; fi

T=query_json_is_valid_ecs
if "$K" query --store "$W/full" --json --limit 50 | python3 -c '
import json, sys
n = 0
for line in sys.stdin:
    d = json.loads(line)
    assert d["event"]["id"] and d["source"]["ip"] and d["destination"]["ip"], d
    assert d["network"]["community_id"].startswith("1:"), d
    assert d["network"]["bytes"] == d["source"]["bytes"] + d["destination"]["bytes"], d
    n += 1
assert n == 50, n
'; then ok; else bad "invalid JSON lines"; fi

T=since_until_open_only_needed_partitions
rm -rf "$W/days"
"$GEN" --seed 13 --start 2024-03-01T00:00:00Z --duration 72h --sessions 3000 -o "$W/days.pcap" >/dev/null
"$K" ingest -q --store "$W/days" "$W/days.pcap"
all=$("$K" query --store "$W/days" --explain --csv 2>&1 >/dev/null)
one=$("$K" query --store "$W/days" --explain --csv --since 2024-03-02T06:00:00Z --until 2024-03-02T07:00:00Z 2>&1 >/dev/null)
if echo "$all" | grep -q "from [34] partition" && echo "$one" | grep -q "from [12] partition" &&
   ! echo "$one" | grep -q " 0 sessions"; then ok; else bad "all: $all / one: $one"; fi

T=since_until_filter_rows
n_in=$("$K" query --store "$W/days" --csv --since 2024-03-02T00:00:00Z --until 2024-03-02T23:59:59Z | tail -n +2 | wc -l)
n_all=$("$K" query --store "$W/days" --csv | tail -n +2 | wc -l)
if [ "$n_in" -gt 0 ] && [ "$n_in" -lt "$n_all" ]; then ok; else bad "in=$n_in all=$n_all"; fi

T=flow_table_bound_evicts_and_counts
# 16 live sessions at most: many are emitted early, counted, and no packet is lost.
rm -rf "$W/b"
"$K" ingest -q --store "$W/b" --max-flows 16 "$W/mix.pcap"
evicted=$("$K" stats --store "$W/b" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["flow.evicted_early"])')
pk=$("$K" query --store "$W/b" --json | python3 -c '
import json, sys
print(sum(json.loads(l)["network"]["packets"] for l in sys.stdin))')
stored=$("$K" stats --store "$W/b" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["packets.stored"])')
"$K" pcap --store "$W/b" -w "$W/all-b.pcap" '' 2>/dev/null
if [ "$evicted" -gt 100 ] && [ "$pk" = "$stored" ] && records "$W/all-b.pcap" | cmp -s - "$W/mix.rec"; then ok
else bad "evicted=$evicted packets in sessions=$pk stored=$stored"; fi

T=input_truncated_while_mapped_is_not_a_crash
# Plain captures are mapped; a file cut short under a running ingest must end in a
# clear message (exit 1 or 2 depending on when the cut lands), never SIGBUS (135).
"$GEN" --seed 14 --size 150M -o "$W/shrink.pcap"
rm -rf "$W/sh"
"$K" ingest -q --store "$W/sh" "$W/shrink.pcap" 2>"$W/shrink.err" & pid=$!
sleep 0.05; truncate -s 1M "$W/shrink.pcap"; wait $pid; rc=$?
if { [ $rc -eq 2 ] && grep -q "shrank while it was being read" "$W/shrink.err"; } ||
   { [ $rc -eq 1 ] && grep -q "offset [0-9]*, packet [0-9]*" "$W/shrink.err"; } ||
   [ $rc -eq 0 ]; then ok
else bad "rc=$rc: $(cat "$W/shrink.err")"; fi
rm -f "$W/shrink.pcap"
T=input_truncated_then_rerun_resumes
"$GEN" --seed 14 --size 150M -o "$W/shrink.pcap"
out=$("$K" ingest --store "$W/sh" "$W/shrink.pcap" 2>&1); rc=$?
rm -rf "$W/sh2"; "$K" ingest -q --store "$W/sh2" "$W/shrink.pcap"
if [ $rc -eq 0 ] && [ "$(sessions "$W/sh")" = "$(sessions "$W/sh2")" ]; then ok; else bad "rc=$rc $out"; fi
rm -f "$W/shrink.pcap"

T=store_is_private
perm_dir=$(stat -c %a "$W/full"); perm_files=$(find "$W/full" -type f ! -perm 600 | wc -l)
if [ "$perm_dir" = 700 ] && [ "$perm_files" = 0 ]; then ok; else bad "dir $perm_dir, $perm_files files not 0600"; fi

T=query_missing_store_exit_1
err=$("$K" query --store "$W/none" '' 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$err" | grep -q "no konseki store"; then ok; else bad "rc=$rc $err"; fi

T=corpus_corrupt_file_keeps_packets_before_damage
if [ -d "$CORPUS" ]; then
    rm -rf "$W/c"
    err=$("$K" ingest -q --store "$W/c" "$CORPUS/suricata-verify/tests/bug-1450-04/tls_DER-incomplete-header.pcap" 2>&1); rc=$?
    stored=$("$K" stats --store "$W/c" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["runs"][0]["packets"])')
    if [ $rc -eq 1 ] && echo "$err" | grep -q "offset 5035, packet 7" && [ "$stored" = 6 ]; then ok
    else bad "rc=$rc stored=$stored $err"; fi
else skip "no corpus"; fi

# ---------------------------------------------------------------- retention (konseki prune)
# Three days in 4 MiB segments.  The oracle for a pruned store is the unpruned one: it
# must answer exactly the sessions starting at or after the cut, and extract exactly
# their packets, byte for byte.
rm -rf "$W/ret"
"$K" ingest -q --store "$W/ret" --segment-size 4M "$W/days.pcap"
cut_of() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read().splitlines()[-1])["cut"])'; }
# pruned store $1 with cut $2 equals the reference store restricted to the cut
same_as_ref_after_cut() {
    [ "$("$K" query --store "$1" --json)" = "$("$K" query --store "$W/ret" --json "@timestamp >= $2")" ] &&
    "$K" pcap --store "$1" -w "$W/p-got.pcap" '' 2>/dev/null &&
    "$K" pcap --store "$W/ret" -w "$W/p-want.pcap" "@timestamp >= $2" 2>/dev/null &&
    cmp -s "$W/p-got.pcap" "$W/p-want.pcap" &&
    [ -z "$("$K" query --store "$1" --csv "@timestamp < $2" | tail -n +2)" ]
}

T=prune_by_age_keeps_sessions_after_the_cut_byte_identical
rm -rf "$W/pa"; cp -a "$W/ret" "$W/pa"
out=$("$K" prune --store "$W/pa" --retain 36h --json); rc=$?
cut=$(echo "$out" | cut_of)
days_left=$(ls "$W/pa/meta" | grep -c '\.db$')
if [ $rc -eq 0 ] && [ "$cut" = "2024-03-02T13:02:16.942969Z" ] && [ "$days_left" = 3 ] &&
   same_as_ref_after_cut "$W/pa" "$cut"; then ok; else bad "rc=$rc cut=$cut days=$days_left $out"; fi

T=prune_by_size_fits_the_budget
rm -rf "$W/ps"; cp -a "$W/ret" "$W/ps"
out=$("$K" prune --store "$W/ps" --retain 20M --json); rc=$?
cut=$(echo "$out" | cut_of)
ondisk=$(find "$W/ps" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
if [ $rc -eq 0 ] && echo "$out" | grep -q '"within_budget":true' && [ "$ondisk" -le 20971520 ] &&
   [ "$ondisk" -gt 10485760 ] && same_as_ref_after_cut "$W/ps" "$cut"; then ok
else bad "rc=$rc on disk $ondisk: $out"; fi

T=stats_shows_size_oldest_and_cut
st=$("$K" stats --store "$W/ps")
if echo "$st" | grep -q "^on disk .*oldest packet 2024-03-0" &&
   echo "$st" | grep -q "^retention .*before $cut were pruned"; then ok; else bad "$st"; fi

T=prune_bad_retain_exit_1
err=$("$K" prune --store "$W/ps" --retain 30x 2>&1); rc=$?
err2=$("$K" prune --store "$W/nostore" --retain 1d 2>&1); rc2=$?
if [ $rc -eq 1 ] && echo "$err" | grep -q "retain 30x" && [ $rc2 -eq 1 ] && [ ! -d "$W/nostore" ]; then ok
else bad "rc=$rc $err / rc=$rc2 $err2"; fi

# After a kill -9 the store must be consistent (every session answered has all its
# packets: the extract's packet count is the sum of the sessions' packets) and the
# re-run must reach exactly the clean result.
consistent() {
    want=$("$K" query --store "$1" --json | python3 -c '
import json, sys
print(sum(json.loads(l)["network"]["packets"] for l in sys.stdin))')
    got=$("$K" pcap --store "$1" -w "$W/c.pcap" '' 2>&1) || return 1
    [ "$want" = 0 ] || echo "$got" | grep -q "wrote $want packets"
}
T=prune_kill9_at_each_step_then_rerun
good=1
for point in prune-day prune-catalog prune-unlink; do
    rm -rf "$W/pk"; cp -a "$W/ret" "$W/pk"
    KONSEKI_TEST_CRASH_AT=$point "$K" prune --store "$W/pk" --retain 36h >/dev/null 2>&1; rc=$?
    [ $rc -eq 137 ] || { good=0; echo "  $point: exit $rc, not killed"; }
    consistent "$W/pk" || { good=0; echo "  $point: inconsistent after the kill"; }
    "$K" prune --store "$W/pk" --retain 36h >/dev/null || { good=0; echo "  $point: rerun failed"; }
    same_as_ref_after_cut "$W/pk" 2024-03-02T13:02:16.942969Z || { good=0; echo "  $point: rerun differs"; }
    [ "$(ls "$W/pk/pcap" | wc -l)" = "$(ls "$W/pa/pcap" | wc -l)" ] || { good=0; echo "  $point: files left"; }
done
if [ $good = 1 ]; then ok; else bad "see above"; fi

T=prune_kill9_at_random_moments_then_rerun
good=1
for delay in 0.005 0.02 0.05 0.1; do
    rm -rf "$W/pk"; cp -a "$W/ret" "$W/pk"
    "$K" prune --store "$W/pk" --retain 12M >/dev/null 2>&1 & pid=$!
    sleep $delay; kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
    consistent "$W/pk" || { good=0; echo "  inconsistent after kill at $delay"; }
    "$K" prune --store "$W/pk" --retain 12M >/dev/null || { good=0; echo "  rerun failed after $delay"; }
    consistent "$W/pk" || { good=0; echo "  inconsistent after rerun ($delay)"; }
    ondisk=$(find "$W/pk" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
    [ "$ondisk" -le 12582912 ] || { good=0; echo "  over budget after rerun ($delay): $ondisk"; }
done
if [ $good = 1 ]; then ok; else bad "see above"; fi
rm -rf "$W/pa" "$W/ps" "$W/pk" "$W/ret"

if [ $skip -gt 0 ]; then echo "e2e: $pass passed, $fail failed, $skip skipped"
else echo "e2e: $pass passed, $fail failed"; fi
[ $fail -eq 0 ]

#!/bin/sh
# Replay every harness's seed corpus (tests/fuzz/corpus/<harness>/) with the
# standalone driver.  Prints "fuzz-replay: N passed, N failed".
BUILD=${1:-build}
cd "$(dirname "$0")/../.." || exit 2
pass=0 fail=0
for bin in "$BUILD"/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    dir=tests/fuzz/corpus/$name
    [ -d "$dir" ] || { echo "fuzz-replay: $name has no corpus at $dir"; fail=$((fail+1)); continue; }
    if out=$("$bin" "$dir" 2>&1); then
        pass=$((pass+1))
    else
        echo "$out" | tail -30
        echo "FAIL $name"
        fail=$((fail+1))
    fi
done
echo "fuzz-replay: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/bin/sh
# `make check`: every suite, plain build and ASan+UBSan build, then one total.
# Each suite prints its own "N passed, N failed" line; this script sums them and
# ends with the combined line.  Exit status is non-zero if anything failed.
set -u
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}
LOG=$(mktemp -d /tmp/konseki-check.XXXXXX)
total_pass=0 total_fail=0 total_skip=0 broken=0

suite() { # name, command...
    name=$1; shift
    echo "== $name"
    "$@" >"$LOG/$name.out" 2>&1
    rc=$?
    # Show failures and skips in full, the rest as the summary line.
    grep -E '^(FAIL|  FAIL|  skip|skip|SKIP)' "$LOG/$name.out" | head -50
    line=$(grep -E '([0-9]+) passed, ([0-9]+) failed' "$LOG/$name.out" | tail -1)
    if [ -z "$line" ]; then
        echo "   (no summary line; exit $rc)"; tail -20 "$LOG/$name.out"
        broken=$((broken+1)); total_fail=$((total_fail+1)); return
    fi
    echo "   $line"
    p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
    f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
    s=$(echo "$line" | grep -oE '[0-9]+ skipped' | grep -oE '[0-9]+')
    total_pass=$((total_pass+p)); total_fail=$((total_fail+f)); total_skip=$((total_skip+${s:-0}))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "   (exit $rc with no failed test)"; tail -20 "$LOG/$name.out"
        total_fail=$((total_fail+1))
    fi
}

build() { # build dir, make args...
    out=$1; shift
    if ! make -s -j"$JOBS" WERROR=1 "$@" >"$LOG/build-$out.out" 2>&1; then
        echo "== build ($out) FAILED"; tail -40 "$LOG/build-$out.out"
        echo "check: 0 passed, 1 failed"
        exit 1
    fi
}

build plain all
build asan SAN=address,undefined all
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

suite unit build/unit-tests
suite unit-asan build/asan/unit-tests
suite golden tests/golden/run.sh build
suite golden-asan tests/golden/run.sh build/asan
suite conformance tests/conformance/run.py build/konseki
suite conformance-asan tests/conformance/run.py build/asan/konseki
suite e2e tests/e2e/run.sh build
suite ioc tests/ioc/run.sh build
suite ioc-asan tests/ioc/run.sh build/asan
suite truth tests/e2e/truth.py build
suite truth-asan tests/e2e/truth.py build/asan
suite hunt tests/hunt/run.py build
suite hunt-asan tests/hunt/run.py build/asan
suite case tests/case/run.py build
suite case-asan tests/case/run.py build/asan
suite gen-tshark tests/gen/check-tshark.sh build
suite gen-hunt tests/e2e/hunt.sh build
suite capture tests/capture/run.sh build
suite capture-asan tests/capture/run.sh build/asan
suite fuzz-replay-asan tests/fuzz/replay.sh build/asan
suite format sh -c 'if make -s lint >/dev/null 2>&1; then echo "format: 1 passed, 0 failed";
                    else make -s lint 2>&1 | head -20; echo "format: 0 passed, 1 failed"; fi'

echo "logs: $LOG"
if [ "$total_skip" -gt 0 ]; then
    echo "check: $total_pass passed, $total_fail failed, $total_skip skipped"
else
    echo "check: $total_pass passed, $total_fail failed"
fi
[ "$total_fail" -eq 0 ]

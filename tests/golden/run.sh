#!/bin/sh
# Golden tests: tests/golden/<case>/cmd is a shell snippet; its stdout+stderr must
# equal tests/golden/<case>/expected.  UPDATE=1 rewrites the expectations (review
# the diff before committing).  The snippet sees:
#   $KONSEKI   the binary under test        $GEN   the traffic generator
#   $STORE     an empty store directory     $TMP   a scratch directory
#   $CASE      the case's directory         $CORPUS  ../shared/corpus (may be absent)
BUILD=${1:-build}
cd "$(dirname "$0")/../.." || exit 2
ROOT=$(pwd)
pass=0 fail=0 skip=0
for dir in tests/golden/*/; do
    name=$(basename "$dir")
    [ -f "$dir/cmd" ] || continue
    work=$(mktemp -d /tmp/konseki-golden.XXXXXX)
    mkdir -p "$work/store" "$work/tmp"
    corpus="$ROOT/../shared/corpus"
    if grep -q CORPUS "$dir/cmd" && [ ! -d "$corpus" ]; then
        echo "  skip $name: ../shared/corpus is not present"
        skip=$((skip+1)); rm -rf "$work"; continue
    fi
    out=$(cd "$work/tmp" && KONSEKI="$ROOT/$BUILD/konseki" GEN="$ROOT/$BUILD/konseki-gen" \
          STORE="$work/store" TMP="$work/tmp" CASE="$ROOT/$dir" CORPUS="$corpus" \
          KONSEKI_STORE= TZ=UTC sh -e "$ROOT/$dir/cmd" 2>&1; echo "exit=$?")
    if [ "${UPDATE:-}" = 1 ]; then
        printf '%s\n' "$out" >"$dir/expected"
        echo "  updated $name"; pass=$((pass+1))
    elif printf '%s\n' "$out" | diff -u "$dir/expected" - >"$work/diff"; then
        pass=$((pass+1))
    else
        echo "FAIL $name"; head -40 "$work/diff"; fail=$((fail+1))
    fi
    rm -rf "$work"
done
if [ "$skip" -gt 0 ]; then
    echo "golden: $pass passed, $fail failed, $skip skipped"
else
    echo "golden: $pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]

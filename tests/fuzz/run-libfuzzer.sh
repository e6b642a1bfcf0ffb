#!/bin/sh
# `make fuzz`: build every harness with clang + libFuzzer + ASan/UBSan and run each
# for SECONDS (default 60), starting from its seed corpus.  New crashes land in
# build/fuzz-clang/crashes/<harness>/ and should join the corpus once fixed.
set -eu
SECONDS_EACH=${1:-60}
cd "$(dirname "$0")/../.."
OUT=build/fuzz-clang
mkdir -p "$OUT"
CFL="-g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all"
make -s BUILD="$OUT" CC=clang SAN=address,undefined OPT="$CFL" "$OUT/libkonseki.a"
LIBS=$(pkg-config --libs libpcap sqlite3 libzstd libcrypto zlib libpcre2-8 libpsl)
# FUZZ_ONLY=SUBSTRING runs only the harnesses whose name contains it.
for src in tests/fuzz/fuzz_*${FUZZ_ONLY:-}*.c; do
    name=$(basename "$src" .c)
    clang -std=c11 -D_DEFAULT_SOURCE -Isrc $CFL -fsanitize=fuzzer -o "$OUT/$name" "$src" \
        "$OUT/libkonseki.a" $LIBS -lm -lpthread
    mkdir -p "$OUT/corpus/$name" "$OUT/crashes/$name"
    echo "== $name for ${SECONDS_EACH}s"
    dict=""; [ -f "tests/fuzz/$name.dict" ] && dict="-dict=tests/fuzz/$name.dict"
    "$OUT/$name" -max_total_time="$SECONDS_EACH" -max_len=262144 $dict \
        -artifact_prefix="$OUT/crashes/$name/" "$OUT/corpus/$name" "tests/fuzz/corpus/$name" || exit 1
done

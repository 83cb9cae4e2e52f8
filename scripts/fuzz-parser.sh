#!/bin/sh
# Fuzzes the admin protocol parser with libFuzzer (Swift's -sanitize=fuzzer, with AddressSanitizer).
# Usage: scripts/fuzz-parser.sh [seconds]   (default 60; corpus kept in .build-fuzz/corpus)
set -eu
cd "$(dirname "$0")/.."
seconds="${1:-60}"
out=.build-fuzz
mkdir -p "$out/corpus"
printf '@t1 funds nord 2026 format=csv' > "$out/corpus/seed1"
printf 'grant VER-1 "Dörverden Süd" reason="a \\"b\\"" key=k-12345678 <<' > "$out/corpus/seed2"
swiftc -parse-as-library -sanitize=fuzzer,address -O \
    Sources/SozialraumProtocol/*.swift scripts/fuzz/RequestParserFuzz.swift \
    -o "$out/request-parser-fuzz"
"$out/request-parser-fuzz" -max_total_time="$seconds" -max_len=4096 "$out/corpus"

#!/bin/bash -eu
# .clusterfuzzlite/build.sh - builds every fuzz target of smtpp for
# ClusterFuzzLite and OSS-Fuzz (the same script serves both).
#
# Environment (set by the OSS-Fuzz base-builder image, or by hand):
#   CC CFLAGS        compile every source (parser, oracle, target) with these
#   CXX CXXFLAGS     link with these ...
#   LIB_FUZZING_ENGINE  ... and this (-fsanitize=fuzzer, libAFLDriver.a, ...)
#   OUT              where the binaries go, with <target>_seed_corpus.zip,
#                    <target>.dict and <target>.options beside each
#   SRC / WORK       OSS-Fuzz source and scratch dirs (WORK optional)
# The sources are found in this order: the repo holding this script
# (.clusterfuzzlite/..), the current directory (the Dockerfile's WORKDIR),
# $SRC/smtpp.  Local run: see ci/ossfuzz_test.sh.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ -f "$here/../parser/include/smtpp/smtpp.h" ]; then REPO="$(cd "$here/.." && pwd)"
elif [ -f "$PWD/parser/include/smtpp/smtpp.h" ]; then REPO="$PWD"
else REPO="$SRC/smtpp"; fi
: "${CC:?CC not set}" "${CXX:?CXX not set}" "${OUT:?OUT not set}"
: "${LIB_FUZZING_ENGINE:?LIB_FUZZING_ENGINE not set (e.g. -fsanitize=fuzzer)}"
CFLAGS="${CFLAGS:-}" CXXFLAGS="${CXXFLAGS:-}"
W="${WORK:-$(mktemp -d)}/smtpp-obj"
rm -rf "$W"; mkdir -p "$W" "$OUT"

INC=(-I"$REPO/parser/include" -I"$REPO/parser/src" -I"$REPO/common" -I"$REPO/oracle" -I"$REPO/fuzz")
# shellcheck disable=SC2206  # CFLAGS is a word list by convention
CF=($CFLAGS)
compile() { # src obj
  "$CC" "${CF[@]}" -std=c11 "${INC[@]}" -c "$1" -o "$2"
}
export -f compile 2>/dev/null || true

# 1. the library, the shared readers (common/) and the oracle, instrumented
#    like everything else
objs=()
for s in "$REPO"/parser/src/*.c "$REPO"/common/*.c "$REPO"/oracle/*.c; do
  o="$W/$(basename "$(dirname "$s")")_$(basename "${s%.c}").o"
  compile "$s" "$o" &
  objs+=("$o")
  # at most $(nproc) compilers at once
  while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do wait -n; done
done
wait
ar rcs "$W/libsmtpp_fuzz.a" "${objs[@]}"

# 2. every target: <t>.c (+ fuzz_config.c for the session), linked with the
#    engine by the C++ driver (libFuzzer and the AFL++ driver are C++)
mapfile -t TARGETS < <(grep -E '^[a-z]+$' "$REPO/fuzz/targets" | sed 's/^/fuzz_/')
compile "$REPO/fuzz/fuzz_config.c" "$W/fuzz_config.o"
# shellcheck disable=SC2206
LF=($CXXFLAGS $LIB_FUZZING_ENGINE)
for t in "${TARGETS[@]}"; do
  compile "$REPO/fuzz/$t.c" "$W/$t.o"
  extra=()
  [ "$t" = fuzz_session ] && extra=("$W/fuzz_config.o")
  "$CXX" "${LF[@]}" "$W/$t.o" "${extra[@]}" "$W/libsmtpp_fuzz.a" -o "$OUT/$t"

  # 3. seed corpus (seeds + regression inputs), dictionary, options
  layer="${t#fuzz_}"
  stage="$W/seeds-$layer"; mkdir -p "$stage"
  for f in "$REPO/corpus/seeds/$layer"/*; do [ -f "$f" ] && cp "$f" "$stage/"; done
  for f in "$REPO/corpus/regress/$layer"/*; do [ -f "$f" ] && cp "$f" "$stage/regress-$(basename "$f")"; done
  rm -f "$OUT/${t}_seed_corpus.zip"
  if [ -n "$(ls -A "$stage")" ]; then (cd "$stage" && zip -q -X "$OUT/${t}_seed_corpus.zip" ./*); fi
  if [ -f "$REPO/fuzz/$t.dict" ]; then cp "$REPO/fuzz/$t.dict" "$OUT/$t.dict"
  else cp "$REPO/dict/smtp.dict" "$OUT/$t.dict"; fi
  if [ -f "$REPO/fuzz/$t.options" ]; then cp "$REPO/fuzz/$t.options" "$OUT/$t.options"
  else printf '[libfuzzer]\nmax_len = 4096\ndict = %s.dict\n' "$t" >"$OUT/$t.options"; fi
done
echo "built: ${TARGETS[*]} -> $OUT"

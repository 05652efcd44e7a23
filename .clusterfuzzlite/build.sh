#!/bin/bash -eu
# SPDX-License-Identifier: MIT
# .clusterfuzzlite/build.sh - builds every fuzz target of smtpp for
# ClusterFuzzLite and OSS-Fuzz (the OSS-Fuzz project's build.sh runs this
# one: ci/ossfuzz_project.sh).  The build itself is the project's CMake
# build with -DSMTPP_OSSFUZZ=ON (cmake/ossfuzz.cmake): CC, CXX, CFLAGS,
# CXXFLAGS as given, every target linked by $CXX with $LIB_FUZZING_ENGINE,
# no tests, no -Werror, the oracle without coverage instrumentation.
#
# Environment (set by the OSS-Fuzz base-builder image's `compile`):
#   CC CXX CFLAGS CXXFLAGS LIB_FUZZING_ENGINE   the toolchain and the engine
#   OUT    where fuzz_<t> go, each with fuzz_<t>_seed_corpus.zip (corpus/
#          seeds/<t> + corpus/regress/<t>), fuzz_<t>.dict, fuzz_<t>.options
#   WORK   scratch space for the build tree (a temporary directory if unset)
# The sources: the repo holding this script (.clusterfuzzlite/..), else the
# current directory (the Dockerfile's WORKDIR $SRC/smtpp, where `compile`
# runs $SRC/build.sh), else $SRC/smtpp.  Checked by ci/ossfuzz_test.sh.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ -f "$here/../parser/include/smtpp/smtpp.h" ]; then REPO="$(cd "$here/.." && pwd)"
elif [ -f "$PWD/parser/include/smtpp/smtpp.h" ]; then REPO="$PWD"
else REPO="${SRC:?SRC not set}/smtpp"; fi
: "${CC:?CC not set}" "${CXX:?CXX not set}" "${OUT:?OUT not set}"
: "${LIB_FUZZING_ENGINE:?LIB_FUZZING_ENGINE not set (e.g. -fsanitize=fuzzer)}"
B="${WORK:-$(mktemp -d)}/smtpp-build"
rm -rf "$B"
mkdir -p "$OUT"

# 1. the project's own build: CMake reads CC/CXX/CFLAGS/CXXFLAGS and
#    LIB_FUZZING_ENGINE from the environment
cmake -S "$REPO" -B "$B" -DSMTPP_OSSFUZZ=ON
cmake --build "$B" --target smtpp_ossfuzz -j "$(nproc)"

# 2. into $OUT: each layer of fuzz/targets with its seeds, dictionary, options
while read -r layer; do
  t="fuzz_$layer"
  cp "$B/fuzz/$t" "$OUT/$t"
  stage="$B/seeds-$layer"
  rm -rf "$stage"; mkdir -p "$stage"
  for f in "$REPO/corpus/seeds/$layer"/*; do [ -f "$f" ] && cp "$f" "$stage/"; done
  for f in "$REPO/corpus/regress/$layer"/*; do [ -f "$f" ] && cp "$f" "$stage/regress-$(basename "$f")"; done
  rm -f "$OUT/${t}_seed_corpus.zip"
  if [ -n "$(ls -A "$stage")" ]; then (cd "$stage" && zip -q -X "$OUT/${t}_seed_corpus.zip" ./*); fi
  if [ -f "$REPO/fuzz/$t.dict" ]; then cp "$REPO/fuzz/$t.dict" "$OUT/$t.dict"
  else cp "$REPO/dict/smtp.dict" "$OUT/$t.dict"; fi
  cp "$REPO/fuzz/$t.options" "$OUT/$t.options"
done < <(grep -E '^[a-z]+$' "$REPO/fuzz/targets")
echo "built: $(grep -E '^[a-z]+$' "$REPO/fuzz/targets" | sed 's/^/fuzz_/' | tr '\n' ' ')-> $OUT"

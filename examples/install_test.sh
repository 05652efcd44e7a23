#!/usr/bin/env bash
# install_test.sh - the installed libsmtpp works out of tree.
#
#   examples/install_test.sh [SOURCE_DIR] [C_COMPILER]
#
# Configures and builds the project in a temporary directory, installs it
# with `cmake --install` into a temporary prefix, then builds examples/
# against that prefix twice -- with CMake (find_package, CMAKE_PREFIX_PATH;
# links the static smtpp::smtpp) and with pkg-config (PKG_CONFIG_PATH,
# examples/Makefile; links libsmtpp.so.0.MINOR) -- and runs both example programs
# on a small SMTP transcript, checking their output.  The temporary
# directory is removed on exit.  Run by ctest as `install_examples`.
set -euo pipefail

src=$(cd "${1:-$(dirname "$0")/..}" && pwd)
cc=${2:-${CC:-cc}}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/smtpp-install.XXXXXX")
trap '[ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"' EXIT
log=$tmp/log
jobs=$(nproc 2>/dev/null || echo 2)

fail() {
  echo "install_test: FAIL: $*" >&2
  exit 1
}
run() { # run a build step quietly; show its log if it fails
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    fail "$*"
  fi
}

# 1. Build and install the library (no tests: no cmocka needed, no recursion).
run cmake -S "$src" -B "$tmp/build" -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_BUILD_TYPE=Release -DSMTPP_TESTS=OFF -DSMTPP_SANITIZE=OFF \
  -DSMTPP_COVERAGE=OFF -DSMTPP_FUZZ=OFF -DSMTPP_AFL=OFF \
  -DCMAKE_INSTALL_PREFIX="$tmp/prefix"
# Only the library and its install component: tools/ is not under test here.
run cmake --build "$tmp/build" -j "$jobs" --target smtpp_static smtpp_shared
run cmake --install "$tmp/build" --component libsmtpp

prefix=$tmp/prefix
pc=$(find "$prefix" -name smtpp.pc -print -quit)
[ -n "$pc" ] || fail "smtpp.pc not installed"
libdir=$(dirname "$(dirname "$pc")")
for f in include/smtpp/smtpp.h share/doc/smtpp/LICENSE; do
  [ -f "$prefix/$f" ] || fail "$f not installed"
done
# SONAME: libsmtpp.so.MAJOR.MINOR while MAJOR is 0 (parser/CMakeLists.txt).
ver() { sed -n "s/^#define SMTPP_VERSION_$1 \([0-9]*\)$/\1/p" \
          "$prefix/include/smtpp/smtpp.h"; }
soname="libsmtpp.so.$(ver MAJOR).$(ver MINOR)"
for f in libsmtpp.a libsmtpp.so "$soname" cmake/smtpp/smtppConfig.cmake \
         cmake/smtpp/smtppConfigVersion.cmake cmake/smtpp/smtppTargets.cmake; do
  [ -e "$libdir/$f" ] || fail "$libdir/$f not installed"
done
# The licence, as an SPDX identifier, in both package metadata files.
grep -qx 'License: MIT' "$libdir/pkgconfig/smtpp.pc" || fail "smtpp.pc has no 'License: MIT'"
grep -qx 'set(smtpp_LICENSE "MIT")' "$libdir/cmake/smtpp/smtppConfig.cmake" ||
  fail "smtppConfig.cmake does not set smtpp_LICENSE to MIT"
if command -v readelf >/dev/null; then
  readelf -d "$libdir/libsmtpp.so" | grep -qF "Library soname: [$soname]" ||
    fail "SONAME of libsmtpp.so is not $soname"
fi

# The .so exports exactly the functions the header declares.
if command -v nm >/dev/null; then
  want=$(grep -oE '\bsmtpp_[a-z_]+\(' "$prefix/include/smtpp/smtpp.h" |
         tr -d '(' | sort -u)
  have=$(nm -D --defined-only "$libdir/libsmtpp.so" | awk '$2 == "T" {print $3}' |
         sed 's/@.*//' | sort -u)
  [ "$want" = "$have" ] || fail "libsmtpp.so exports differ from smtpp.h:
$(diff <(echo "$want") <(echo "$have") | grep '^[<>]')"
fi

# 2. examples/ with CMake (find_package(smtpp CONFIG REQUIRED)).
run cmake -S "$src/examples" -B "$tmp/ex-cmake" -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_PREFIX_PATH="$prefix"
run cmake --build "$tmp/ex-cmake" -j "$jobs"

# 3. examples/ with pkg-config (examples/Makefile, built out of tree).
export PKG_CONFIG_PATH="$libdir/pkgconfig"
[ "$(pkg-config --modversion smtpp)" = \
  "$(sed -n 's/^#define SMTPP_VERSION_STRING "\(.*\)"/\1/p' \
     "$prefix/include/smtpp/smtpp.h")" ] ||
  fail "pkg-config version differs from SMTPP_VERSION_STRING"
mkdir -p "$tmp/ex-pc"
run make -C "$tmp/ex-pc" -f "$src/examples/Makefile" VPATH="$src/examples" \
  CC="$cc"
if command -v readelf >/dev/null; then
  readelf -d "$tmp/ex-pc/minimal" | grep -qF "Shared library: [$soname]" ||
    fail "the pkg-config build does not link $soname"
fi

# 4. Run them on a transcript: two messages, one refused recipient, one
#    message over the policy example's size limit (300 octets).
printf '%s\r\n' \
  'EHLO client.example' \
  'MAIL FROM:<alice@example.org> SIZE=100' \
  'RCPT TO:<bob@example.org>' \
  'RCPT TO:<nobody@example.org>' \
  'DATA' \
  'Subject: hello' \
  '' \
  '..a line that starts with a dot' \
  'hello' \
  '.' \
  'MAIL FROM:<>' \
  'RCPT TO:<carol@example.net>' \
  'DATA' \
  "$(printf 'x%.0s' $(seq 1 400))" \
  '.' \
  'QUIT' >"$tmp/in.smtp"

check() { # check NAME OUTPUT-FILE PATTERN...: every pattern matches a line
  local name=$1 out=$2
  shift 2
  for pat in "$@"; do
    grep -qE -- "$pat" "$out" || {
      cat "$out" >&2
      fail "$name: no line matches /$pat/"
    }
  done
}

# No LD_LIBRARY_PATH: the CMake build links libsmtpp.a, the pkg-config one
# finds libsmtpp.so through the rpath examples/Makefile sets.
for kind in cmake pc; do
  dir=$tmp/ex-$kind
  (cd "$tmp" && "$dir/minimal" <"$tmp/in.smtp") \
    >"$tmp/minimal.$kind.out" || fail "$kind minimal exited with $?"
  (cd "$tmp" && "$dir/minimal" 5 <"$tmp/in.smtp") \
    >"$tmp/minimal5.$kind.out" || fail "$kind minimal 5 exited with $?"
  (cd "$tmp" && "$dir/policy" 300 <"$tmp/in.smtp") \
    >"$tmp/policy.$kind.out" || fail "$kind policy exited with $?"

  check "minimal ($kind)" "$tmp/minimal.$kind.out" \
    '^S: 220 mx\.example\.org ESMTP' \
    '^E: COMMAND EHLO arg="client\.example"' \
    '^E: COMMAND MAIL path="alice@example\.org" local="alice" domain="example\.org" size=100$' \
    '^E: COMMAND RCPT path="nobody@example\.org"' \
    '^S: 354 ' \
    '^E: BODY .*\.a line that starts' \
    '^E: MESSAGE_END size=57$' \
    '^S: 250 2\.0\.0 ' \
    '^E: MESSAGE_END size=402$' \
    '^S: 221 2\.0\.0 ' \
    '^-- closed'
  grep -qE '^S: [45]' "$tmp/minimal.$kind.out" &&
    fail "minimal ($kind): an error reply: $(grep -E '^S: [45]' "$tmp/minimal.$kind.out")"
  # The same replies whatever the chunking (bodies may be cut differently).
  cmp -s <(grep '^S:' "$tmp/minimal.$kind.out") \
         <(grep '^S:' "$tmp/minimal5.$kind.out") ||
    fail "minimal ($kind): replies differ when fed 5 octets at a time"

  check "policy ($kind)" "$tmp/policy.$kind.out" \
    '^S: 250-SIZE 300$' \
    '^S: 550 5\.1\.1 No such user here$' \
    '^H: message 1 from=<alice@example\.org> rcpts=1 size=57 ' \
    '^H:   to=<bob@example\.org>$' \
    '^S: 552 5\.3\.4 ' \
    '^H: message failed: SIZE_EXCEEDED$' \
    '^S: 221 2\.0\.0 ' \
    '^H: delivered=1 refused_rcpts=1 failed=1$'
done
cmp -s "$tmp/minimal.cmake.out" "$tmp/minimal.pc.out" ||
  fail "static and shared builds print different output"
echo "install_test: OK (prefix layout, CMake package, pkg-config, SONAME, both examples)"

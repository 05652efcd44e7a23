#!/bin/sh
# test_noheap.sh LIBSMTPP.a [NM]
#
# The parser contract (docs/DESIGN.md section 3): libsmtpp never allocates, never
# does I/O, never aborts or exits.  This checks the archive's undefined
# symbols (nm -u, exact names) against the forbidden list below and fails,
# naming each symbol and the object that references it.
# Sanitizer and coverage runtime symbols (__asan_*, __ubsan_*, ...) are not
# on the list, so sanitizer builds pass too.
#
# With --no-globals it instead checks that no object puts a symbol in
# writable data (.data, .bss, common; .data.rel.ro is read-only after
# relocation and allowed), the "no globals" rule.  This uses objdump -t
# (third argument, default objdump).  Only meaningful in plain builds
# (sanitizers and coverage add their own data).
set -u

mode=heap
if [ "${1:-}" = "--no-globals" ]; then
  mode=globals
  shift
fi
lib=${1:?usage: test_noheap.sh [--no-globals] LIBSMTPP.a [NM]}
nm=${2:-nm}
if [ ! -f "$lib" ]; then
  echo "no such library: $lib"
  exit 1
fi

if [ "$mode" = globals ]; then
  objdump=${3:-objdump}
  if ! dump=$("$objdump" -t "$lib" 2>&1); then
    echo "objdump failed on $lib: $dump"
    exit 1
  fi
  # "<value> <flags> <section> <size> <name>"; object files start with
  # "<name>.o:     file format ..."
  bad=$(printf '%s\n' "$dump" | awk '
    /file format/ { obj = $1; next }
    {
      for (i = 1; i <= NF; i++)
        if ($i ~ /^(\.data|\.bss|\.tbss|\.tdata|\*COM\*)/ &&
            $i !~ /^\.data\.rel\.ro/ && $NF != $i) {
          print obj " " $i " " $NF
          break
        }
    }')
  if [ -n "$bad" ]; then
    echo "FAIL: libsmtpp has writable data (the parser keeps no globals):"
    echo "$bad"
    echo "0 passed, 1 failed"
    exit 1
  fi
  echo "libsmtpp defines no writable data"
  echo "1 passed, 0 failed"
  exit 0
fi

forbidden='
malloc calloc realloc reallocarray free strdup strndup aligned_alloc
posix_memalign memalign valloc pvalloc
printf fprintf vprintf vfprintf dprintf vdprintf sprintf vsprintf snprintf
vsnprintf asprintf vasprintf puts fputs putchar putc fputc fopen fdopen
freopen fclose fwrite fread fflush fgets fgetc getc getchar perror setvbuf
__printf_chk __fprintf_chk __sprintf_chk __snprintf_chk __vsnprintf_chk
__vfprintf_chk
write read open openat close send recv writev readv syslog
abort exit _exit _Exit quick_exit atexit __assert_fail
'

undef=$("$nm" -u -A "$lib" 2>/dev/null)
if [ -z "$undef" ] && ! "$nm" -u "$lib" >/dev/null 2>&1; then
  echo "nm failed on $lib"
  exit 1
fi

fail=0
for sym in $forbidden; do
  # "archive:object: U sym" or "archive:object:                 U sym"
  hits=$(printf '%s\n' "$undef" | awk -v s="$sym" '$NF == s { print $1 }')
  if [ -n "$hits" ]; then
    for h in $hits; do
      echo "FAIL: $sym referenced by ${h%:}"
    done
    fail=1
  fi
done

if [ "$fail" -ne 0 ]; then
  echo "libsmtpp must not allocate, do I/O, or abort/exit (docs/DESIGN.md 3)"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "libsmtpp references none of the forbidden symbols"
echo "1 passed, 0 failed"
exit 0

#!/usr/bin/env bash
# ci/ossfuzz_project.sh - writes the google/oss-fuzz project folder for smtpp
# (projects/smtpp/{project.yaml,Dockerfile,build.sh}) and checks it with the
# rules of OSS-Fuzz's presubmit (infra/presubmit.py), restated below.
#
#   ci/ossfuzz_project.sh --main-repo URL --contact EMAIL [--homepage URL]
#                         [--out DIR] [--oss-fuzz CHECKOUT]
#
#   --main-repo URL  the public git repository OSS-Fuzz clones (https://...)
#   --contact EMAIL  primary_contact: receives the bug reports
#   --homepage URL   default: the main repository without a trailing .git
#   --out DIR        where projects/smtpp/ is written (default: the current
#                    directory; into an oss-fuzz checkout: its root)
#   --oss-fuzz DIR   also run the checks of DIR/infra/presubmit.py itself
#                    (project.yaml, license headers, -lFuzzingEngine, seed
#                    zips, apt-get update) on the written files
#
# The project has no public home of its own yet, so the URL and the contact
# are arguments rather than a file to edit.  The Dockerfile clones the main
# repository (OSS-Fuzz's build context is projects/smtpp/, not the source);
# build.sh runs the repository's .clusterfuzzlite/build.sh, the one build.
# The two files carry google/oss-fuzz's Apache-2.0 header: its presubmit
# requires it of every Dockerfile and shell script under projects/.
#
# Checked: project.yaml has main_repo, homepage, primary_contact, only the
# section names and constant values presubmit allows, a valid-looking email,
# language c; Dockerfile and build.sh hold the Apache-2.0 license URL; no
# "-lFuzzingEngine"; no .zip; no "RUN apt-get install" without an update.
# Exit: 0 written and checked, 1 a check failed, 2 bad usage.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
usage() { sed -n '2,29s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
die_usage() { echo "ci/ossfuzz_project.sh: $*" >&2; echo "Try 'ci/ossfuzz_project.sh --help'." >&2; exit 2; }

repo="" contact="" homepage="" out="." ossfuzz=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --main-repo|--contact|--homepage|--out|--oss-fuzz)
      [ $# -ge 2 ] && [ -n "$2" ] || die_usage "$1 needs a value"
      case "$1" in
        --main-repo) repo="$2" ;; --contact) contact="$2" ;; --homepage) homepage="$2" ;;
        --out) out="$2" ;; --oss-fuzz) ossfuzz="$2" ;;
      esac
      shift ;;
    *) die_usage "unknown option '$1'" ;;
  esac
  shift
done
[ -n "$repo" ] || die_usage "--main-repo URL is required (the public git repository OSS-Fuzz clones)"
[ -n "$contact" ] || die_usage "--contact EMAIL is required (OSS-Fuzz's primary_contact)"
[[ "$repo" =~ ^https://[^[:space:]\'\"]+$ ]] || die_usage "--main-repo: an https:// URL, got '$repo'"
[ -n "$homepage" ] || homepage="${repo%.git}"
[[ "$homepage" =~ ^https?://[^[:space:]\'\"]+$ ]] || die_usage "--homepage: an http(s) URL, got '$homepage'"
[[ "$contact" =~ ^[^[:space:]@\'\"]+@[^[:space:]@\'\"]+\.[^[:space:]@\'\"]+$ ]] ||
  die_usage "--contact: an email address, got '$contact'"
if [ -n "$ossfuzz" ] && [ ! -f "$ossfuzz/infra/presubmit.py" ]; then
  die_usage "--oss-fuzz: '$ossfuzz' is not an oss-fuzz checkout (no infra/presubmit.py)"
fi

dir="$out/projects/smtpp"
mkdir -p "$dir"
year="$(date -u +%Y)"
header() { # comment header: google/oss-fuzz's license, as its presubmit wants
  cat <<EOF
# Copyright $year the smtpp authors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
#
################################################################################
EOF
}

# The engines and sanitizers listed are the ones ci/ossfuzz_test.sh runs
# (honggfuzz with --honggfuzz DIR).
cat >"$dir/project.yaml" <<EOF
homepage: "$homepage"
language: c
primary_contact: "$contact"
main_repo: "$repo"
fuzzing_engines:
  - libfuzzer
  - afl
  - honggfuzz
sanitizers:
  - address
  - undefined
  - memory
EOF
{ echo "#!/bin/bash -eu"; header; cat <<'EOF'

# smtpp builds its fuzz targets with its own CMake build; the script in the
# repository installs them with their seed corpora, dictionaries and options.
bash "$SRC/smtpp/.clusterfuzzlite/build.sh"
EOF
} >"$dir/build.sh"
chmod +x "$dir/build.sh"
{ header; cat <<EOF

FROM gcr.io/oss-fuzz-base/base-builder
# cmake, make, zip and clang come with the base image; smtpp needs nothing else
RUN git clone --depth 1 $repo smtpp
WORKDIR smtpp
COPY build.sh \$SRC/
EOF
} >"$dir/Dockerfile"
echo "wrote $dir/{project.yaml,Dockerfile,build.sh}"

# ---- presubmit's checks, restated (infra/presubmit.py) ----------------------
fail=0
python3 - "$dir" <<'EOF' || fail=1
import os, re, sys, yaml
d = sys.argv[1]
ok = True
def err(m):
    global ok; ok = False; print('presubmit (restated): ' + m)
y = yaml.safe_load(open(os.path.join(d, 'project.yaml')))
# ProjectYamlChecker: constants, required and valid sections, emails, language, name
allowed = {'sanitizers': ['address', 'none', 'memory', 'undefined', 'thread', 'coverage',
                          'introspector', 'hwaddress'],
           'architectures': ['i386', 'x86_64', 'aarch64'],
           'fuzzing_engines': ['libfuzzer', 'afl', 'honggfuzz', 'centipede', 'none', 'wycheproof']}
for sec, consts in allowed.items():
    for c in y.get(sec, []):
        if c not in consts: err('%s (in %s) is not a valid constant' % (c, sec))
valid = ['architectures', 'auto_ccs', 'blackbox', 'builds_per_day', 'coverage_extra_args',
         'disabled', 'disable_remediation', 'disable_remediation_pre_review', 'fuzzing_engines',
         'help_url', 'homepage', 'language', 'labels', 'main_repo', 'primary_contact', 'run_tests',
         'sanitizers', 'selective_unpack', 'vendor_ccs', 'view_restrictions', 'file_github_issue',
         'indexer', 'base_os_version']
for k in y:
    if k not in valid: err('%s is not a valid section name' % k)
# main_repo is presubmit's one required section; homepage and primary_contact
# are not optional in its new-project guide (docs/getting-started)
for k in ('main_repo', 'homepage', 'primary_contact'):
    if not y.get(k): err('%s section is missing' % k)
for e in [y.get('primary_contact')] + list(y.get('auto_ccs') or []):
    if e and ('@' not in e or '.' not in e): err('%s is an invalid email address' % e)
if y.get('language') not in ['c', 'c++', 'go', 'javascript', 'jvm', 'python', 'rust', 'swift', 'ruby']:
    err('language missing or not supported')
name = os.path.basename(os.path.abspath(d))
if not re.match('^[a-z0-9_-]+$', name) or 'google' in name or 'g00gle' in name:
    err('bad project name ' + name)
for f in sorted(os.listdir(d)):
    p = os.path.join(d, f); text = open(p).read()
    # check_license: Dockerfile and *.sh need the Apache-2.0 URL
    if (f == 'Dockerfile' or f.endswith('.sh')) and 'http://www.apache.org/licenses/LICENSE-2.0' not in text:
        err('missing license header in ' + f)
    # check_lib_fuzzing_engine, check_seed_corpus, check_apt_update
    if f == 'build.sh' and any('-lFuzzingEngine' in l.split('#')[0] for l in text.splitlines()):
        err('build.sh uses -lFuzzingEngine')
    if f.endswith('.zip'): err('seed corpus zip committed: ' + f)
    if f == 'Dockerfile' and ('RUN apt install' in text or 'RUN apt-get install' in text):
        err('apt-get install without apt-get update in Dockerfile')
print('presubmit (restated): %s' % ('passed' if ok else 'FAILED'))
sys.exit(0 if ok else 1)
EOF

if [ -n "$ossfuzz" ]; then
  # presubmit.py's own check functions, imported from the checkout
  python3 - "$ossfuzz/infra" "$dir" <<'EOF' || fail=1
import os, sys
sys.path.insert(0, sys.argv[1])
import presubmit
d = os.path.abspath(sys.argv[2])
paths = [os.path.join(d, f) for f in sorted(os.listdir(d))]
checks = [presubmit.check_license, presubmit.check_project_yaml,
          presubmit.check_lib_fuzzing_engine, presubmit.check_seed_corpus,
          presubmit.check_apt_update]
ok = all([c(paths) for c in checks])
print('presubmit (google/oss-fuzz infra/presubmit.py): %s' % ('passed' if ok else 'FAILED'))
sys.exit(0 if ok else 1)
EOF
fi
exit "$fail"

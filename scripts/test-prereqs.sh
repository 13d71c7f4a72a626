#!/usr/bin/env bash
# The system packages the test suite needs that pip cannot install, in one place: `make test`
# (through its pytest step), `make test-future` and .ci/run all call this script, so a fresh
# machine and a developer's machine get the same set the same way.
#
#   scripts/test-prereqs.sh              what `make test` needs
#   scripts/test-prereqs.sh --faketime   that, plus faketime (`make test-future`)
#
# What is needed, and why:
# - chromium + fonts-dejavu-core: tests/report/test_html_browser.py drives a real Chromium
#   through Playwright. Playwright's own browser download needs the open internet, which CI
#   does not have, so Debian's package is used; it needs a font to lay out text.
# - faketime (only with --faketime): `make test-future` runs the suite with the system clock a
#   year ahead through libfaketime (LD_PRELOAD), so a test that silently depends on today's
#   date fails now rather than on the day it starts to.
#
# When everything is present this only tests a few paths and exits 0: no apt-get update, no
# network. Otherwise it installs the missing packages with apt-get as root (or through
# `sudo -n`); with neither, it stops at once with one line on stderr naming what to install.
set -euo pipefail

usage="usage: $0 [--faketime]"
want_faketime=0
for arg in "$@"; do
  case "$arg" in
    --faketime) want_faketime=1 ;;
    -h | --help)
      echo "$usage"
      exit 0
      ;;
    *)
      echo "$usage" >&2
      exit 2
      ;;
  esac
done

# The browser tests take IAM_AUDITOR_CHROMIUM, then /usr/bin/chromium, then any `chromium` on
# PATH (tests/report/test_html_browser.py); whichever they would find counts as present here,
# so a developer with a browser elsewhere is not asked to install Debian's.
have_chromium() {
  [[ -n "${IAM_AUDITOR_CHROMIUM:-}" && -x "$IAM_AUDITOR_CHROMIUM" ]] ||
    [[ -x /usr/bin/chromium ]] ||
    command -v chromium >/dev/null 2>&1
}

# Debian's font, or any font fontconfig knows (another distribution's, or one already there):
# Chromium only needs something to render text with.
have_font() {
  [[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] ||
    { command -v fc-list >/dev/null 2>&1 && [[ -n "$(fc-list 2>/dev/null | head -n 1)" ]]; }
}

missing_packages() {
  local missing=()
  have_chromium || missing+=(chromium)
  have_font || missing+=(fonts-dejavu-core)
  # The faketime wrapper finds its own libfaketime (the package depends on it).
  if ((want_faketime)) && ! command -v faketime >/dev/null 2>&1; then
    missing+=(faketime)
  fi
  echo "${missing[@]}"
}

read -r -a missing <<<"$(missing_packages)"
if ((${#missing[@]} == 0)); then
  exit 0
fi

install_hint="apt-get install -y --no-install-recommends ${missing[*]}"
if [[ "$(id -u)" -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  or_else=""
  if [[ " ${missing[*]} " == *" chromium "* ]]; then
    or_else=" (for chromium, IAM_AUDITOR_CHROMIUM=/path/to/chromium also does)"
  fi
  echo "test-prereqs: missing ${missing[*]}; as root run: ${install_hint}${or_else}" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "test-prereqs: missing ${missing[*]} and there is no apt-get here:" \
    "install the equivalent packages with this system's package manager" >&2
  exit 1
fi

# `env` carries DEBIAN_FRONTEND through sudo, whose env_reset would drop an exported one; no
# prompt can be answered (CI has no stdin). The lock timeout waits for another apt run on the
# same machine instead of failing on its lock. A package list is only fetched now that a
# package is really missing: a fresh machine has none, and a stale one may name versions the
# mirror no longer has.
apt=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300)
echo "test-prereqs: installing ${missing[*]}" >&2
"${apt[@]}" update </dev/null
"${apt[@]}" install -y --no-install-recommends "${missing[@]}" </dev/null

# Say so now if the install did not provide what the tests use, rather than in a test later.
read -r -a still <<<"$(missing_packages)"
if ((${#still[@]} > 0)); then
  echo "test-prereqs: still missing after apt-get install: ${still[*]}" >&2
  exit 1
fi
if ((want_faketime)) && [[ "$(faketime -f '+365d' date -u +%Y)" -le "$(date -u +%Y)" ]]; then
  echo "test-prereqs: faketime is installed but does not shift the clock" >&2
  exit 1
fi

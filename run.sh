#!/usr/bin/env bash
# seedsearch's two commands:
#   ./run.sh serve   set up, index seeds/ if needed, serve http://127.0.0.1:8000
#   ./run.sh test    set up (Chromium, Tesseract and axe-core included) and run the whole test suite
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=.venv

setup() {  # $1: pip extras ("" or "test")
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "seedsearch needs Python 3.11 or newer (found: $("$PYTHON" --version 2>&1))." >&2
    exit 1
  fi
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  # Reinstall only when the package metadata changed.
  local stamp="$VENV/.setup-stamp-${1:-base}"
  local want
  want=$(cat setup.cfg pyproject.toml | sha1sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    # pip's output goes to a log, shown only when something fails.
    local log="$VENV/setup.log"
    echo "Installing seedsearch into $VENV (log: $log) ..." >&2
    if ! { "$VENV/bin/python" -m pip install --upgrade pip &&
      "$VENV/bin/python" -m pip install -e ".${1:+[$1]}"; } >"$log" 2>&1; then
      cat "$log" >&2
      echo "Installing seedsearch failed; the output above is also in $log." >&2
      exit 1
    fi
    echo "$want" > "$stamp"
  fi
}

apt_install() {  # Debian packages, installed only when missing: apt_install WHY PACKAGE...
  local why=$1 missing=() package
  shift
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return
  echo "Installing ${missing[*]} $why (apt-get)..." >&2
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

need_chromium() {
  command -v chromium >/dev/null 2>&1 && return
  apt_install "for the browser tests" chromium
}

# Tesseract reads scanned pages and images (OCR); English and Russian are the
# default languages. --no-ocr (or a machine without apt-get) does without.
need_tesseract() {
  command -v dpkg-query >/dev/null 2>&1 || return 0
  apt_install "to read scanned pages (OCR)" tesseract-ocr tesseract-ocr-eng tesseract-ocr-rus
}

AXE_VERSION=4.14.1  # axe-core, for the accessibility tests only; never served

need_axe() {  # npm installs it into tests/.axe (gitignored), once per version
  local installed=tests/.axe/node_modules/axe-core/package.json
  grep -q "\"version\": \"$AXE_VERSION\"" "$installed" 2>/dev/null && return
  command -v npm >/dev/null 2>&1 || apt_install "for the accessibility tests" npm
  echo "Installing axe-core $AXE_VERSION for the accessibility tests (npm)..." >&2
  npm install --prefix tests/.axe --no-audit --no-fund --no-save --silent "axe-core@$AXE_VERSION"
}

case "${1:-serve}" in
  serve)
    setup ""
    need_tesseract
    shift || true
    exec "$VENV/bin/seedsearch" serve --watch "$@"  # the index follows seeds/; --no-watch to stop it
    ;;
  test)
    setup test
    need_chromium
    need_tesseract
    need_axe
    shift || true
    "$VENV/bin/ruff" check .
    "$VENV/bin/ruff" format --check .
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  *)
    echo "usage: ./run.sh serve|test" >&2
    exit 2
    ;;
esac

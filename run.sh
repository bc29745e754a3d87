#!/usr/bin/env bash
# seedsearch's two commands:
#   ./run.sh serve   set up, index seeds/ if needed, serve http://127.0.0.1:8000
#   ./run.sh test    set up (Chromium and axe-core included) and run the whole test suite
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

need_chromium() {
  command -v chromium >/dev/null 2>&1 && return
  echo "Installing Chromium for the browser tests (apt-get)..." >&2
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
}

AXE_VERSION=4.14.1  # axe-core, for the accessibility tests only; never served

need_axe() {  # npm installs it into tests/.axe (gitignored), once per version
  local installed=tests/.axe/node_modules/axe-core/package.json
  grep -q "\"version\": \"$AXE_VERSION\"" "$installed" 2>/dev/null && return
  if ! command -v npm >/dev/null 2>&1; then
    echo "Installing npm for the accessibility tests (apt-get)..." >&2
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq npm >/dev/null
  fi
  echo "Installing axe-core $AXE_VERSION for the accessibility tests (npm)..." >&2
  npm install --prefix tests/.axe --no-audit --no-fund --no-save --silent "axe-core@$AXE_VERSION"
}

case "${1:-serve}" in
  serve)
    setup ""
    shift || true
    exec "$VENV/bin/seedsearch" serve --watch "$@"  # the index follows seeds/; --no-watch to stop it
    ;;
  test)
    setup test
    need_chromium
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

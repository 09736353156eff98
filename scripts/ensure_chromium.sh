#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium for the browser tests (tests/browser/),
# with a Hangul font: the lessons are bilingual and, without one, Korean shows as empty boxes
# in the browser (and in screenshots).
# Never a downloaded browser: `playwright install` is not used; Playwright drives this one.
# Installs with apt-get when run as root (CI on a clean machine); otherwise says what to run.
# `--missing`: only print the packages that are missing (scripts/ensure_system_packages.sh
# installs them together with the others).
set -euo pipefail
CHROMIUM="${SEQ2SEQ_LAB_CHROMIUM:-/usr/bin/chromium}"
PACKAGES=()
[ -x "$CHROMIUM" ] || PACKAGES+=(chromium fonts-dejavu-core)
if ! command -v fc-list >/dev/null || [ -z "$(fc-list :lang=ko 2>/dev/null)" ]; then
    PACKAGES+=(fonts-nanum)   # 10 MB; NanumGothic is also what seq2seq_lab/plots.py looks for
fi
if [ "${1:-}" = "--missing" ]; then
    echo "${PACKAGES[*]}"
    exit 0
fi
if [ ${#PACKAGES[@]} -eq 0 ]; then
    exit 0
fi
if [ -x "$CHROMIUM" ] && { [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; }; then
    echo "note: no Hangul font: Korean text will show as boxes (apt-get install fonts-nanum)" >&2
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "Chromium is missing at $CHROMIUM. Install Debian's package:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y chromium" >&2
    echo "or skip the browser tests explicitly: make test BROWSER=0" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null; then
    echo "Chromium is missing at $CHROMIUM and apt-get is not available: install Chromium" >&2
    echo "with your system's package manager, or skip the browser tests: make test BROWSER=0" >&2
    exit 1
fi
echo "Installing ${PACKAGES[*]} for the browser tests (apt-get) ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
test -x "$CHROMIUM" || { echo "apt-get installed chromium but $CHROMIUM is missing" >&2; exit 1; }
"$CHROMIUM" --version 2>/dev/null || true

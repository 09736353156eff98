#!/usr/bin/env bash
# Make sure Debian's PostgreSQL server programs are installed, for the class-wide search tests
# (tests/test_search_postgres.py), and print the folder that holds initdb, pg_ctl and createdb.
# The tests start their own throw-away server from there (a temporary data directory, a
# loopback port of their own) and stop it at the end: no system service is started or used.
# Installs with apt-get when run as root (CI on a clean machine); otherwise says what to run.
# `--missing`: only print the package to install, if it is missing
# (scripts/ensure_system_packages.sh installs it together with the others).
set -euo pipefail
find_bin() {
    # The newest installed major version: /usr/lib/postgresql/<version>/bin
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}
BIN="${SEQ2SEQ_LAB_POSTGRES_BIN:-$(find_bin)}"
if [ -n "$BIN" ] && [ -x "$BIN/initdb" ] && [ -x "$BIN/pg_ctl" ]; then
    [ "${1:-}" = "--missing" ] || echo "$BIN"
    exit 0
fi
if [ "${1:-}" = "--missing" ]; then
    echo postgresql
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb). Install Debian's" >&2
    echo "package:    sudo apt-get update && sudo apt-get install -y postgresql" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null; then
    echo "PostgreSQL is not installed and apt-get is not available: install the PostgreSQL" >&2
    echo "server with your system's package manager" >&2
    exit 1
fi
echo "Installing postgresql for the search tests (apt-get) ..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# The package's post-install creates the postgres user and may start a cluster service; the
# tests use neither the service nor its port, only the programs.
apt-get install -y -qq --no-install-recommends postgresql >/dev/null
BIN="$(find_bin)"
test -n "$BIN" && test -x "$BIN/initdb" || {
    echo "apt-get installed postgresql but no /usr/lib/postgresql/*/bin/initdb" >&2; exit 1; }
echo "$BIN"

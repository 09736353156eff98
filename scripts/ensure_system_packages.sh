#!/usr/bin/env bash
# The Debian packages `make test` uses, installed in one apt-get run when some are missing:
# chromium and fonts for the browser tests (scripts/ensure_chromium.sh says which), postgresql
# for the class-wide search tests (scripts/ensure_postgres.sh).  One `apt-get update` and one
# `apt-get install` for all of them: on a clean CI machine each update re-reads the package
# lists, and each install runs dpkg's triggers again.
# Usage: ensure_system_packages.sh [--no-browser]
# Installs only as root with apt-get (CI on a clean machine); otherwise the two scripts below
# say what to run.
set -euo pipefail
cd "$(dirname "$0")"
BROWSER=1
[ "${1:-}" = "--no-browser" ] && BROWSER=0
PACKAGES=()
if [ "$BROWSER" = 1 ]; then
    read -r -a MISSING <<< "$(./ensure_chromium.sh --missing)"
    PACKAGES+=("${MISSING[@]}")
fi
read -r -a MISSING <<< "$(./ensure_postgres.sh --missing)"
PACKAGES+=("${MISSING[@]}")
if [ ${#PACKAGES[@]} -gt 0 ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "Installing ${PACKAGES[*]} for the browser and search tests (apt-get) ..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # postgresql's post-install creates the postgres user and may start a cluster service;
    # the tests use neither the service nor its port, only the programs.
    apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
fi
# Now check (and, where something is still missing, say what to run).
status=0
if [ "$BROWSER" = 1 ]; then
    ./ensure_chromium.sh || status=$?
fi
./ensure_postgres.sh >/dev/null || echo "note: without PostgreSQL the class-wide search tests are skipped (they say why)"
exit $status

#!/usr/bin/env bash
# The whole suite, twice: on SQLite (the embedded default) and on PostgreSQL.
# Uses PANEL_TEST_PG_URL when given, else starts a throwaway server and stops it after.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-$(command -v uv || echo "python3 -m uv")}
started=""
if [ -z "${PANEL_TEST_PG_URL:-}" ]; then
  pgdir=$(mktemp -d /tmp/hostpanel-pg.XXXXXX)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  PANEL_TEST_PG_URL=$(scripts/test-postgres.sh start "$pgdir" "$port")
  export PANEL_TEST_PG_URL
  started=$pgdir
  trap 'scripts/test-postgres.sh stop "$started"; rm -rf "$started"' EXIT
fi
# Core's tests and the plugins' run as separate pytest runs: each configures the database
# of its own fixtures process-wide, so their files must not share a worker. Arguments
# naming test paths run just those, once.
named=0
for arg in "$@"; do [ -e "${arg%%::*}" ] && named=1; done
suite() {
  if [ "$named" -eq 1 ]; then
    $UV run --locked pytest "$@"
  else
    $UV run --locked pytest tests "$@"
    $UV run --locked pytest plugins "$@"
  fi
}
echo "== tests on SQLite"
PANEL_TEST_DATABASE=sqlite suite "$@"
echo "== tests on PostgreSQL"
PANEL_TEST_DATABASE=postgres suite "$@"

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
echo "== tests on SQLite"
PANEL_TEST_DATABASE=sqlite $UV run --locked pytest "$@"
echo "== tests on PostgreSQL"
PANEL_TEST_DATABASE=postgres $UV run --locked pytest "$@"

#!/usr/bin/env bash
# The test command: the suite on SQLite, then on a throwaway local PostgreSQL server.
# Needs PostgreSQL's server binaries (initdb, pg_ctl) on PATH or under /usr/lib/postgresql.
# Extra arguments go to both pytest runs.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
SECONDS=0

echo "== SQLite"
# pytest's exit 5 (no tests ran) is non-zero, so it fails the run like any failure.
"$PY" -m pytest -p no:cacheprovider "$@"
echo "== SQLite: ${SECONDS}s"

bindir=""
if command -v initdb >/dev/null 2>&1; then
    bindir=$(dirname "$(command -v initdb)")
else
    for candidate in /usr/lib/postgresql/*/bin; do
        [ -x "$candidate/initdb" ] && bindir=$candidate
    done
fi
if [ -z "$bindir" ]; then
    echo "PostgreSQL's server binaries are not installed (apt-get install postgresql)." >&2
    exit 1
fi

pgdir=$(mktemp -d)
as_owner=()
if [ "$(id -u)" = 0 ]; then
    # initdb refuses to run as root.
    chown nobody "$pgdir"
    as_owner=(runuser -u nobody --)
fi
port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
stop_server() {
    "${as_owner[@]}" "$bindir/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pgdir"
}
trap stop_server EXIT
"${as_owner[@]}" "$bindir/initdb" -D "$pgdir/data" -U onward --auth=trust -E UTF8 \
    >"$pgdir/initdb.log" 2>&1 || { cat "$pgdir/initdb.log" >&2; exit 1; }
# Throwaway data: no fsync, so creating a database per test stays fast.
"${as_owner[@]}" "$bindir/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w \
    -o "-p $port -k $pgdir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" \
    start >/dev/null

start_pg=$SECONDS
echo "== PostgreSQL (127.0.0.1:$port)"
# The test files that run on PostgreSQL so far: the backend's own tests, the claims, the
# services, the database copy, the shards and the cluster (ONWARD_POSTGRESQL_TESTS chooses
# others; the other end-to-end files are the next to follow).
default_pg_tests="tests/db/test_postgresql.py tests/db/test_claims.py tests/db/test_copy.py
    tests/services tests/e2e/test_shards.py tests/e2e/test_cluster.py
    --ignore=tests/services/test_privacy.py"
# shellcheck disable=SC2086 # the list is words on purpose
ONWARD_TEST_DATABASE_URL="postgresql://onward@127.0.0.1:$port/postgres" \
    "$PY" -m pytest -p no:cacheprovider ${ONWARD_POSTGRESQL_TESTS:-$default_pg_tests} "$@"
echo "== PostgreSQL: $((SECONDS - start_pg))s"

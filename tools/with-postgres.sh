#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL server: TEST_DATABASE_URL points at it, and the server and
# its data are gone when the command ends (trap on exit). Installs Debian's postgresql when missing
# (as root). initdb refuses to run as root, so the server then runs as the `postgres` user.
#   tools/with-postgres.sh make test-postgres
set -euo pipefail

pg_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
    command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)"
}

BIN_DIR=$(pg_bin || true)
if [ -z "$BIN_DIR" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "Installerer postgresql med apt ..."
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
        BIN_DIR=$(pg_bin)
    else
        echo "PostgreSQL-testene trenger PostgreSQL (initdb, pg_ctl): 'sudo apt-get install postgresql'." >&2
        exit 1
    fi
fi

# The server's own user: ourselves, or `postgres` when we are root.
if [ "$(id -u)" = 0 ]; then
    RUN_AS=(runuser -u postgres --)
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
else
    RUN_AS=()
fi

WORK=$(mktemp -d /tmp/rusplan-pg.XXXXXX)
chmod 755 "$WORK"
[ "$(id -u)" = 0 ] && chown postgres "$WORK"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(16))')

stop() {
    "${RUN_AS[@]}" "$BIN_DIR/pg_ctl" -D "$WORK/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap stop EXIT

"${RUN_AS[@]}" "$BIN_DIR/initdb" -D "$WORK/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
# Throwaway data: no fsync, so creating a database per test costs milliseconds.
"${RUN_AS[@]}" "$BIN_DIR/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w -o \
    "-p $PORT -k $WORK -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null
"${RUN_AS[@]}" "$BIN_DIR/psql" -q -h "$WORK" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE rusplan LOGIN SUPERUSER PASSWORD '$PASSWORD'" -c "CREATE DATABASE rusplan OWNER rusplan"

export TEST_DATABASE_URL="postgresql+psycopg://rusplan:$PASSWORD@127.0.0.1:$PORT/rusplan"
echo "PostgreSQL $("$BIN_DIR/pg_ctl" --version | awk '{print $3}') på 127.0.0.1:$PORT (midlertidig, $WORK)"
"$@"

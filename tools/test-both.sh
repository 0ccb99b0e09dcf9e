#!/usr/bin/env bash
# The whole suite twice, side by side on the two cores: on SQLite, and on the PostgreSQL server in
# TEST_DATABASE_URL (the tests about SQLite itself are deselected there). `make test` runs this when
# TEST_DATABASE_URL is set; .ci/run sets it with tools/with-postgres.sh. Each pass's log is printed
# whole after both have finished, SQLite first.
# The browser suite runs once per school, not once per database: the SQLite pass drives it against
# Halden's plan, the PostgreSQL pass against the example school (nynorsk, another shape), so both schools
# and both databases are covered without running the costly browser matrix four times. A bare `make test`
# (SQLite only) runs it for both schools.
set -u
cd "$(dirname "$0")/.."
: "${TEST_DATABASE_URL:?set TEST_DATABASE_URL, or run: tools/with-postgres.sh make test}"
logs=$(mktemp -d /tmp/rusplan-test.XXXXXX)
started=$(date +%s)
( env -u TEST_DATABASE_URL BROWSER_SCHOOLS=halden-vgs .venv/bin/pytest --basetemp="$logs/tmp-sqlite" >"$logs/sqlite.log" 2>&1
  echo $? >"$logs/sqlite.rc"; echo $(( $(date +%s) - started )) >"$logs/sqlite.s" ) &
( BROWSER_SCHOOLS=eksempel-vgs make --no-print-directory test-postgres PYTEST_ARGS="--basetemp=$logs/tmp-postgres -p no:cacheprovider" \
    >"$logs/postgres.log" 2>&1
  echo $? >"$logs/postgres.rc"; echo $(( $(date +%s) - started )) >"$logs/postgres.s" ) &
wait
status=0
for pass in sqlite postgres; do
    echo "===================== $pass pass ($(cat "$logs/$pass.s") s) ====================="
    cat "$logs/$pass.log"
    [ "$(cat "$logs/$pass.rc")" = 0 ] || status=1
done
rm -rf "$logs"
exit $status

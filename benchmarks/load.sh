#!/usr/bin/env bash
# A whole school at once: 1,200 concurrent connections for 30 s against the public pages, then the same
# against one static file, on the server `make run` starts (gunicorn with gunicorn.conf.py).
# Prints requests/s, errors and p50/p99 latency of both, and the ratio pages/static.
# Targets: 0 errors, p99 under 1 s. Settings: CONNECTIONS, DURATION, WRK_THREADS (environment).
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS=${CONNECTIONS:-1200}
DURATION=${DURATION:-30s}
WRK_THREADS=${WRK_THREADS:-2}
VENV=${VENV:-.venv}

if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installerer wrk med apt ..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  else
    echo "Lasttesten trenger wrk: sudo apt-get install wrk"; exit 1
  fi
fi

# Every connection is a file descriptor, in wrk and in gunicorn: raise the limit to the hard limit.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt $((CONNECTIONS + 200)) ]; then
  echo "ulimit -n er $(ulimit -n); $CONNECTIONS forbindelser trenger minst $((CONNECTIONS + 200))."; exit 1
fi

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Its own database and instance files, on a free port of 127.0.0.1.
export DATABASE_URL="sqlite:///$work/load.sqlite3"
export PLAN_SNAPSHOT="$work/last-plan.json"
export SECRET_KEY=load-test-only
export HOST=127.0.0.1
PORT=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export PORT
"$VENV/bin/flask" --app wsgi db upgrade >/dev/null 2>&1
"$VENV/bin/flask" --app wsgi content import >/dev/null
"$VENV/bin/python" -m benchmarks.load_urls >"$work/pages.txt"
"$VENV/bin/python" -m benchmarks.load_urls --static >"$work/static.txt"

# The access log is switched off for the run: 70,000 lines per test would measure the terminal.
"$VENV/bin/gunicorn" -c gunicorn.conf.py --access-logfile /dev/null wsgi:app >"$work/gunicorn.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then break; fi
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null || { cat "$work/gunicorn.log"; exit 1; }

# A server that has been up a while: each worker has rendered and compressed every page once (that
# happens once per plan revision; measured cold, the first second of rendering would dominate p99).
for _ in 1 2 3 4 5 6; do
  while read -r url; do
    for encoding in br gzip; do
      curl -fsS -o /dev/null -H "Accept-Encoding: $encoding" "http://127.0.0.1:$PORT$url"
    done
  done <"$work/pages.txt"
done

echo "Server: gunicorn $(grep -c . "$work/pages.txt") sider, $(nproc) kjerner, ulimit -n $(ulimit -n)"
echo "wrk: $CONNECTIONS forbindelser, $DURATION, $WRK_THREADS tråder"

run() {  # name, url file
  local label=$1 urls=$2
  wrk -t "$WRK_THREADS" -c "$CONNECTIONS" -d "$DURATION" --timeout 5s -s benchmarks/load.lua \
    "http://127.0.0.1:$PORT" -- "$urls" >"$work/$label.out" 2>&1 || true
  grep '^RESULT' "$work/$label.out" || { cat "$work/$label.out"; exit 1; }
}

pages=$(run pages "$work/pages.txt")
sleep 2
static=$(run static "$work/static.txt")

"$VENV/bin/python" - "$pages" "$static" <<'PY'
import sys

def parse(line):
    return {k: float(v) for k, v in (part.split("=") for part in line.split()[1:])}

pages, static = parse(sys.argv[1]), parse(sys.argv[2])
print()
print(f"{'':8} {'req/s':>9} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
failed = False
for name, r in (("sider", pages), ("statisk", static)):
    errors = int(r["connect"] + r["read"] + r["write"] + r["timeout"] + r["non2xx"])
    print(f"{name:8} {r['rps']:9.0f} {int(r['requests']):9d} {errors:7d} {r['p50_ms']:8.1f} {r['p99_ms']:8.1f} "
          f"{r['max_ms']:8.1f}   (connect {int(r['connect'])}, read {int(r['read'])}, write {int(r['write'])}, "
          f"timeout {int(r['timeout'])}, ikke 2xx {int(r['non2xx'])})")
    failed |= errors > 0 or r["p99_ms"] >= 1000
print(f"\nforhold sider/statisk (req/s): {pages['rps'] / static['rps']:.2f}")
print("mål: 0 feil og p99 under 1 s:", "NÅDD" if not failed else "IKKE NÅDD")
sys.exit(1 if failed else 0)
PY

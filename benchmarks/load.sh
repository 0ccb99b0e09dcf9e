#!/usr/bin/env bash
# A whole school at once: 1,200 concurrent connections against the public pages, served three ways:
#   app     gunicorn alone (gunicorn.conf.py, as `make run` starts it)
#   proxy   nginx from deploy/nginx.conf (its plain-HTTP copy, benchmarks/nginx_local.py) in front of it
#   static  nginx serving saved copies of the same pages as static files (the yardstick)
# Prints requests/s, p50/p99 latency and errors of each, and the ratios proxy/static and app/static.
# Targets: 0 errors everywhere, app p99 under 0.5 s, proxy/static at least 0.5.
# Usage: benchmarks/load.sh [app] [proxy] [static]   (default: all three; `make load-proxy`: proxy static)
# Settings (environment): CONNECTIONS, DURATION, WRK_THREADS, URLS=all|home (every public page, or /).
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS=${CONNECTIONS:-1200}
DURATION=${DURATION:-30s}
WRK_THREADS=${WRK_THREADS:-2}
URLS=${URLS:-all}
VENV=${VENV:-.venv}
RUNS=("$@")
[ ${#RUNS[@]} -gt 0 ] || RUNS=(app proxy static)
wants() { [[ " ${RUNS[*]} " == *" $1 "* ]]; }
wants_nginx() { wants proxy || wants static; }

command -v wrk >/dev/null || { echo "Lasttesten trenger wrk: sudo apt-get install wrk (make load gjør det som root)"; exit 1; }
if wants_nginx && ! command -v nginx >/dev/null; then
  echo "Lasttesten trenger nginx: sudo apt-get install nginx libnginx-mod-http-brotli-static"; exit 1
fi

# Every connection is a file descriptor, in wrk, nginx and gunicorn: raise the limit to the hard limit.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt $((CONNECTIONS + 200)) ]; then
  echo "ulimit -n er $(ulimit -n); $CONNECTIONS forbindelser trenger minst $((CONNECTIONS + 200))."; exit 1
fi

work=$(mktemp -d)
chmod 755 "$work"
server_pid=""
nginx_pid=""
cleanup() {
  if [ -n "$nginx_pid" ]; then kill "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true; fi
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  "$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_for() {  # url
  for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  curl -fsS -o /dev/null "$1"
}

# Its own database and instance files, on a free port of 127.0.0.1.
export DATABASE_URL="sqlite:///$work/load.sqlite3"
export PLAN_SNAPSHOT="$work/last-plan.json"
export SECRET_KEY=load-test-only
export HOST=127.0.0.1
PORT=$(free_port)
export PORT
"$VENV/bin/flask" --app wsgi db upgrade >/dev/null 2>&1
"$VENV/bin/flask" --app wsgi content import >/dev/null
if [ "$URLS" = home ]; then echo / >"$work/pages.txt"; else "$VENV/bin/python" -m benchmarks.load_urls >"$work/pages.txt"; fi

# The access log is switched off for the run (ACCESS_LOG empty, as behind nginx, which logs instead):
# 200,000 lines per run would measure the logging; even into /dev/null it costs ~40 µs per request.
ACCESS_LOG= "$VENV/bin/gunicorn" -c gunicorn.conf.py wsgi:app >"$work/gunicorn.log" 2>&1 &
server_pid=$!
wait_for "http://127.0.0.1:$PORT/healthz" || { cat "$work/gunicorn.log"; exit 1; }

# A server that has been up a while: each worker has rendered and compressed every page once (that
# happens once per plan revision; measured cold, the first second of rendering would dominate p99).
for _ in 1 2 3 4 5 6; do
  while read -r url; do
    for encoding in "br, gzip" gzip; do
      curl -fsS -o /dev/null -H "Accept-Encoding: $encoding" "http://127.0.0.1:$PORT$url"
    done
  done <"$work/pages.txt"
done

if wants_nginx; then
  # The yardstick: every page saved as a file, plain and in the encodings wrk asks for.
  while read -r url; do
    dir="$work/static-copy${url%/}"
    mkdir -p "$dir"
    curl -fsS -o "$dir/index.html" "http://127.0.0.1:$PORT$url"
    curl -fsS -o "$dir/index.html.br" -H "Accept-Encoding: br" "http://127.0.0.1:$PORT$url"
    curl -fsS -o "$dir/index.html.gz" -H "Accept-Encoding: gzip" "http://127.0.0.1:$PORT$url"
  done <"$work/pages.txt"
  PROXY_PORT=$(free_port)
  STATIC_PORT=$(free_port)
  conf=$("$VENV/bin/python" -m benchmarks.nginx_local "$work/nginx" --port "$PROXY_PORT" --app-port "$PORT" \
    --static-port "$STATIC_PORT" --static-root "$work/static-copy" --no-access-log)
  nginx -p "$work/nginx" -c "$conf" -e "$work/nginx/error.log" -g "daemon off;" >"$work/nginx.log" 2>&1 &
  nginx_pid=$!
  wait_for "http://127.0.0.1:$STATIC_PORT/" || { cat "$work/nginx.log" "$work/nginx/error.log"; exit 1; }
  wait_for "http://127.0.0.1:$PROXY_PORT/" || { cat "$work/nginx.log" "$work/nginx/error.log"; exit 1; }
  while read -r url; do  # fill the proxy cache, as after the first minute of a morning
    curl -fsS -o /dev/null -H "Accept-Encoding: br, gzip" "http://127.0.0.1:$PROXY_PORT$url"
  done <"$work/pages.txt"
fi

echo "Server: gunicorn og nginx, $(grep -c . "$work/pages.txt") sider, $(nproc) kjerner, ulimit -n $(ulimit -n)"
echo "wrk: $CONNECTIONS forbindelser, $DURATION, $WRK_THREADS tråder; målinger: ${RUNS[*]}"

run() {  # name, port
  local label=$1 port=$2
  wrk -t "$WRK_THREADS" -c "$CONNECTIONS" -d "$DURATION" --timeout 5s -s benchmarks/load.lua \
    "http://127.0.0.1:$port" -- "$work/pages.txt" >"$work/$label.out" 2>&1 || true
  grep '^RESULT' "$work/$label.out" | sed "s/^RESULT/RESULT $label/" || { cat "$work/$label.out"; exit 1; }
}

results=()
first=1
for name in app proxy static; do
  wants "$name" || continue
  [ "$first" = 1 ] || sleep 2
  first=0
  case $name in
    app) results+=("$(run app "$PORT")") ;;
    proxy) results+=("$(run proxy "$PROXY_PORT")") ;;
    static) results+=("$(run static "$STATIC_PORT")") ;;
  esac
done

"$VENV/bin/python" -m benchmarks.load_report "${results[@]}"

"""gunicorn settings used by `make run`, `make load` and in production (threaded workers).

Sizing, for the 2-core server one school has (see README, "Drift"):
- workers: one process per core. Pages are cached in memory, so a request is short, CPU-bound Python;
  more processes than cores only add memory and context switches.
- threads: 8 per worker. A thread is busy only while a request runs (a few ms); waiting for the
  database (at most DB_BUSY_TIMEOUT / DB_CONNECT_TIMEOUT) is what needs more than one.
- worker_connections: open connections per worker, idle keep-alive ones included. The gthread worker
  parks idle connections in its poller without a thread, so 1,200 phones at once need 2 × 1,000 here,
  not 1,200 threads.
- backlog: connections the kernel queues before gunicorn accepts them (a whole school arriving at once).
- reuse_port: each worker listens on its own socket (SO_REUSEPORT) and the kernel spreads new
  connections evenly over them. With one shared socket, whichever worker woke first took them: at 1,200
  connections one worker held ~780 and the other ~420, and the busier one's queue set the p99 (issue 15).
  A worker that stops drops the connections still waiting in its own queue (a restart, not a reload).
- accesslog: one line per request to stdout (ACCESS_LOG, "-"), or none with ACCESS_LOG empty. Behind
  nginx (deploy/) nginx logs every request already; gunicorn's line costs ~40 µs of a worker's CPU per
  request (about a fifth at peak) and its threads queue for the log handler's lock.
- PostgreSQL: each worker has its own pool, DB_POOL_SIZE + DB_MAX_OVERFLOW connections at most; keep
  workers × (pool_size + max_overflow) below the server's max_connections (5 + 5 per worker by default).
"""

import gc
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "8"))
worker_connections = int(os.environ.get("WEB_CONNECTIONS", "1000"))
backlog = int(os.environ.get("WEB_BACKLOG", "2048"))
reuse_port = True
# A request that takes 30 s is stuck (the database timeouts are 5-10 s): the worker is restarted.
timeout = 30
graceful_timeout = 10
# Longer than the proxy's keep-alive to us would be wasted; phones reuse a connection for a page's files.
keepalive = 5


def post_worker_init(worker):
    """Start the push sender in each worker at once, so alerts stored before a restart go out.

    Then freeze what the worker has loaded (the app, the plan, templates, libraries: ~140,000 objects
    that live as long as the worker) out of the garbage collector's sight. At 1,200 connections its
    full passes ran every couple of seconds, walked all of them and stopped the worker for 0.1-0.7 s
    each on a busy 2-core machine; frozen, a pass takes a few ms (issue 15). What a later plan
    revision replaces is still freed by reference counting.
    """
    from backend.services.alerts.sender import start_sender

    start_sender(worker.wsgi)
    gc.collect()
    gc.freeze()


def worker_exit(server, worker):
    """Let the push sender finish the posts in flight before the worker goes."""
    from backend.services.alerts.sender import stop_sender

    stop_sender(worker.wsgi, timeout=graceful_timeout - 1)


accesslog = os.environ.get("ACCESS_LOG", "-") or None
# No path, no query string and no client address in the log: method, the route the request matched
# (`/konto/invitasjon/<token>`, or «unknown route»), status, bytes, duration. A path is input (a name,
# a token, an encoded line break); AccessLogger (backend/access_log.py) puts the route where gunicorn
# would print the path. Behind the proxy the address would be the proxy's anyway; nginx keeps a
# shortened one (deploy/nginx.conf).
logger_class = "backend.access_log.AccessLogger"
access_log_format = '"%(m)s %(U)s" %(s)s %(B)s %(M)sms'
# gunicorn's control socket lives in $HOME by default, shared by every gunicorn of the user:
# a second instance (another port, another school) would collide with it, and we do not use it.
control_socket_disable = True

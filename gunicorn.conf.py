"""gunicorn settings used by `make run` and in production (threaded workers)."""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "8"))
timeout = 30
graceful_timeout = 10
keepalive = 5


def post_worker_init(worker):
    """Start the push sender in each worker at once, so alerts stored before a restart go out."""
    from backend.services.push_sender import start_sender

    start_sender(worker.wsgi)


def worker_exit(server, worker):
    """Let the push sender finish the posts in flight before the worker goes."""
    from backend.services.push_sender import stop_sender

    stop_sender(worker.wsgi, timeout=graceful_timeout - 1)


accesslog = "-"
# No query strings in the log: paths only, never anything a user typed.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
# gunicorn's control socket lives in $HOME by default, shared by every gunicorn of the user:
# a second instance (another port, another school) would collide with it, and we do not use it.
control_socket_disable = True

"""Make a runnable copy of deploy/nginx.conf: plain HTTP on 127.0.0.1, paths in a scratch folder.

`make load` and the tests run nginx from this copy, so what they measure and check is the production
file itself: the same caching, static files and proxy settings, less TLS (no certificate here) and the
HTTP-to-HTTPS redirect. With --tls CERT KEY the TLS server is kept instead, with that certificate (the
tests check the whole file with `nginx -t` that way). Every change is a fixed substitution that must
apply: when the production file changes shape, this fails instead of drifting.

    python -m benchmarks.nginx_local DIR --port 8080 --app-port 5000 [--static-port 8081 --static-root R]
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy" / "nginx.conf"
# Debian's modules: brotli_static comes from libnginx-mod-http-brotli-static.
BROTLI_STATIC = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")
MIME_TYPES = Path("/etc/nginx/mime.types")


def _replace(text: str, pattern: str, new: str, *, count: int = 0, flags: int = re.M) -> str:
    """Substitute a pattern that must be there (count: exactly that many times, 0 = at least once)."""
    result, found = re.subn(pattern, new, text, flags=flags)
    if found == 0 or (count and found != count):
        raise ValueError(f"deploy/nginx.conf changed: {pattern!r} matched {found} times")
    return result


def _drop_redirect_server(text: str) -> str:
    """Remove the port-80 server that only redirects to HTTPS."""
    return _replace(text, r"^server \{\n(?:(?!^\}).*\n)*?\s*return 301 https://.*\n\}\n", "", count=1)


def site(
    directory: Path,
    *,
    port: int,
    app_port: int,
    tls: tuple[Path, Path] | None = None,
    access_log: bool = True,
) -> str:
    """Return deploy/nginx.conf rewritten for 127.0.0.1: ports, scratch paths, with or without TLS."""
    text = DEPLOY.read_text(encoding="utf-8")
    text = re.sub(r"^\s*#.*\n", "", text, flags=re.M)  # the comments name production paths
    text = _replace(text, r"server 127\.0\.0\.1:5000;", f"server 127.0.0.1:{app_port};", count=1)
    text = _replace(text, r"/var/cache/nginx/rusplan", str(directory / "cache"), count=1)
    text = _replace(text, r"/var/log/nginx/", f"{directory}/")
    text = _replace(text, r"/srv/rusplan/", f"{ROOT}/", count=1)
    text = _drop_redirect_server(text)
    text = _replace(text, r"^\s*listen \[::\]:443 ssl http2;\n", "", count=1)
    if tls is None:
        text = _replace(text, r"listen 443 ssl http2;", f"listen 127.0.0.1:{port};", count=1)
        text = _replace(text, r"^\s*ssl_\w+ .*;\n", "")
    else:
        cert, key = tls
        text = _replace(text, r"listen 443 ssl http2;", f"listen 127.0.0.1:{port} ssl http2;", count=1)
        text = _replace(text, r"ssl_certificate \s*\S+;", f"ssl_certificate {cert};", count=1)
        text = _replace(text, r"ssl_certificate_key \S+;", f"ssl_certificate_key {key};", count=1)
    if not access_log:
        # The benchmark runs gunicorn without its access log too: 60,000 lines a second would be
        # measuring the disk.
        text = _replace(text, r"access_log \S+ rusplan;", "access_log off;", count=1)
    leftovers = [word for word in ("/var/", "/etc/letsencrypt", "listen 80", "/srv/") if word in text]
    if leftovers:
        raise ValueError(f"deploy/nginx.conf changed: {leftovers} left in the local copy")
    return text


def static_site(port: int, root: Path) -> str:
    """A server that answers every URL with a saved file (the yardstick: nginx at its fastest)."""
    return f"""
server {{
    listen 127.0.0.1:{port};
    access_log off;
    root {root};
    brotli_static on;
    gzip_static on;
    location / {{
        try_files $uri $uri/index.html =404;
        default_type text/html;
    }}
}}
"""


def main_config(directory: Path, servers: str, *, workers: str = "auto") -> str:
    """Wrap server blocks in a whole nginx.conf that runs as the current user in `directory`."""
    modules = f"load_module {BROTLI_STATIC};\n" if BROTLI_STATIC.exists() else ""
    # As root, nginx's workers would run as nobody, who may not read a scratch folder in /tmp.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""# Made by benchmarks/nginx_local.py from deploy/nginx.conf; do not edit.
{modules}{user}worker_processes {workers};
worker_rlimit_nofile 20000;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{
    worker_connections 4096;
}}
http {{
    include {MIME_TYPES};
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {directory}/client_body;
    proxy_temp_path {directory}/proxy_temp;
    fastcgi_temp_path {directory}/fastcgi_temp;
    uwsgi_temp_path {directory}/uwsgi_temp;
    scgi_temp_path {directory}/scgi_temp;
{servers}
}}
"""


def write(
    directory: Path,
    *,
    port: int,
    app_port: int,
    static_port: int | None = None,
    static_root: Path | None = None,
    tls: tuple[Path, Path] | None = None,
    access_log: bool = True,
) -> Path:
    """Write the whole nginx.conf into `directory` and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    servers = site(directory, port=port, app_port=app_port, tls=tls, access_log=access_log)
    if static_port is not None and static_root is not None:
        servers += static_site(static_port, static_root)
    path = directory / "nginx.conf"
    path.write_text(main_config(directory, servers), encoding="utf-8")
    return path


def main() -> None:
    """Write the configuration and print its path."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--app-port", type=int, required=True)
    parser.add_argument("--static-port", type=int)
    parser.add_argument("--static-root", type=Path)
    parser.add_argument("--no-access-log", action="store_true")
    args = parser.parse_args()
    path = write(
        args.directory.resolve(),
        port=args.port,
        app_port=args.app_port,
        static_port=args.static_port,
        static_root=args.static_root.resolve() if args.static_root else None,
        access_log=not args.no_access_log,
    )
    print(path)


if __name__ == "__main__":
    main()

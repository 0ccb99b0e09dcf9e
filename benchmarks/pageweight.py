"""Page weight and speed of the home page on a phone: bytes of the first visit, and LCP online and offline.

    make bench                     (or: .venv/bin/python benchmarks/pageweight.py --runs 5)

Starts the app itself (gunicorn on a free port of 127.0.0.1, its own temporary database with the plan
imported), then drives Debian's Chromium with a phone profile: 4x CPU slowdown, slow 4G (150 ms latency,
1.6 Mbit/s down, 750 kbit/s up), a 390x844 touch screen. Each run uses a fresh browser profile.

Prints, as the median of the runs:
- bytes transferred on the first visit to "/": everything the page itself loads to render (the HTML,
  CSS, JavaScript, icon), counted as the bytes on the wire (CDP Network.loadingFinished encodedDataLength,
  compressed bodies plus headers). The service worker's precache downloads after the page has loaded,
  in the background, and is listed on its own line: it is the offline copy, not what the visit needs;
- largest contentful paint of the first visit;
- largest contentful paint when the app is opened again with no network (the service worker answers).

Targets: <= 60 kB (HTML document < 14 kB), LCP <= 1.8 s, offline LCP <= 0.6 s. Exits 1 if one is missed.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import BrowserContext, sync_playwright  # noqa: E402

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE  # noqa: E402

# Slow 4G as DevTools defines it, in bytes per second.
LATENCY_MS = 150
DOWNLOAD = 1_600_000 // 8
UPLOAD = 750_000 // 8
CPU_SLOWDOWN = 4

BUDGET_BYTES = 60_000
BUDGET_HTML = 14_000
BUDGET_LCP = 1.8
BUDGET_LCP_OFFLINE = 0.6

# Resolves with the latest largest-contentful-paint entry (buffered), in seconds.
READ_LCP = """() => new Promise((resolve) => {
  const observer = new PerformanceObserver((list) => {
    const entries = list.getEntries();
    observer.disconnect();
    resolve(entries[entries.length - 1].startTime / 1000);
  });
  observer.observe({ type: "largest-contentful-paint", buffered: true });
  setTimeout(() => resolve(null), 10000);
})"""

WAIT_FOR_CONTROLLER = """async () => {
  if (navigator.serviceWorker.controller) return true;
  await new Promise((resolve) => navigator.serviceWorker.addEventListener("controllerchange", resolve));
  return true;
}"""


@dataclass
class Run:
    """The figures of one run."""

    page_bytes: int = 0
    html_bytes: int = 0
    precache_bytes: int = 0
    precache_requests: int = 0
    lcp: float = 0.0
    lcp_offline: float = 0.0
    resources: list[tuple[str, str, int]] = field(default_factory=list)


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(workdir: Path) -> tuple[subprocess.Popen, str]:
    """Migrate a fresh database, import the plan and start gunicorn; return the process and its URL."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "SECRET_KEY": secrets.token_hex(16),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_WORKERS": "2",
    }
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for command in (["db", "upgrade"], ["content", "import"]):
        subprocess.run([*flask, *command], cwd=ROOT, env=env, check=True, capture_output=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "/", timeout=2) as response:
                if response.status == 200:
                    return server, url
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError("the app did not start") from None
            time.sleep(0.2)


def phone_session(context: BrowserContext, page, offline: bool = False):
    """Throttle CPU and network of a page like a mid-range phone on slow 4G."""
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": offline,
            "latency": LATENCY_MS,
            "downloadThroughput": DOWNLOAD,
            "uploadThroughput": UPLOAD,
        },
    )
    return cdp


def measure(browser, url: str) -> Run:
    """One run in a fresh profile: first visit, wait for the offline copy, then reopen offline."""
    run = Run()
    context = browser.new_context(**PHONE)
    try:
        # The service worker's own downloads (its script, the list, the precache) are counted apart.
        def on_worker_request(request):
            if request.service_worker is None:
                return
            sizes = request.sizes()
            run.precache_bytes += sizes["responseBodySize"] + sizes["responseHeadersSize"]
            run.precache_requests += 1

        context.on("requestfinished", on_worker_request)

        page = context.new_page()
        cdp = phone_session(context, page)
        requests: dict[str, tuple[str, str]] = {}
        finished: dict[str, int] = {}
        cdp.on("Network.responseReceived", lambda e: requests.__setitem__(e["requestId"], _describe(e)))
        cdp.on(
            "Network.loadingFinished", lambda e: finished.__setitem__(e["requestId"], e["encodedDataLength"])
        )

        page.goto(url + "/", wait_until="load")
        run.lcp = page.evaluate(READ_LCP)
        page.evaluate(WAIT_FOR_CONTROLLER)
        page.wait_for_load_state("networkidle")
        for request_id, size in finished.items():
            kind, address = requests.get(request_id, ("other", "?"))
            if address.endswith("/sw.js"):
                run.precache_bytes += size  # the worker's script: part of the offline copy
                continue
            run.resources.append((kind, address.removeprefix(url), size))
            run.page_bytes += size
            if kind == "Document":
                run.html_bytes += size
        page.close()

        context.set_offline(True)
        page = context.new_page()
        phone_session(context, page, offline=True)
        page.goto(url + "/", wait_until="load")
        run.lcp_offline = page.evaluate(READ_LCP)
        page.close()
    finally:
        context.close()
    return run


def _describe(event: dict) -> tuple[str, str]:
    return event.get("type", "other"), event["response"]["url"]


def kilobytes(value: float) -> str:
    return f"{value / 1000:.1f} kB"


def seconds(value: float) -> str:
    return f"{value:.2f} s"


def report(runs: list[Run]) -> bool:
    """Print the table; return whether every target is met."""
    median = statistics.median
    rows = [
        ("First visit to /: bytes transferred", kilobytes(median(r.page_bytes for r in runs)),
         f"<= {kilobytes(BUDGET_BYTES)}", median(r.page_bytes for r in runs) <= BUDGET_BYTES),
        ("  of which the HTML document", kilobytes(median(r.html_bytes for r in runs)),
         f"< {kilobytes(BUDGET_HTML)}", median(r.html_bytes for r in runs) < BUDGET_HTML),
        ("  then, in the background: offline copy", kilobytes(median(r.precache_bytes for r in runs)),
         "not counted", None),
        ("Largest contentful paint, first visit", seconds(median(r.lcp for r in runs)),
         f"<= {seconds(BUDGET_LCP)}", median(r.lcp for r in runs) <= BUDGET_LCP),
        ("Largest contentful paint, reopened offline", seconds(median(r.lcp_offline for r in runs)),
         f"<= {seconds(BUDGET_LCP_OFFLINE)}", median(r.lcp_offline for r in runs) <= BUDGET_LCP_OFFLINE),
    ]  # fmt: skip
    print()
    print(
        f"Rusplan home page on a phone profile: {CPU_SLOWDOWN}x CPU slowdown, {LATENCY_MS} ms latency, "
        f"{DOWNLOAD * 8 / 1e6:.1f} Mbit/s down, {UPLOAD * 8 / 1e3:.0f} kbit/s up; "
        f"median of {len(runs)} run(s)."
    )
    print()
    print(f"{'measure':<46} {'value':>10}  {'target':<12} ok")
    print("-" * 76)
    for label, value, target, ok in rows:
        verdict = "" if ok is None else ("yes" if ok else "NO")
        print(f"{label:<46} {value:>10}  {target:<12} {verdict}")
    print()
    print("First visit, resource by resource (bytes on the wire, headers included):")
    for kind, address, size in runs[0].resources:
        print(f"  {kind:<12} {size:>7} B  {address}")
    print(
        f"Offline copy: {runs[0].precache_requests} requests made by the service worker after the page "
        "had loaded (every public page, the vCards and the static files)."
    )
    return all(ok for *_, ok in rows if ok is not None)


def main() -> int:
    """Start the app, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs in fresh profiles (median is shown)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rusplan-bench-") as workdir:
        server, url = start_app(Path(workdir))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
                )
                runs = [measure(browser, url) for _ in range(args.runs)]
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    return 0 if report(runs) else 1


if __name__ == "__main__":
    sys.exit(main())

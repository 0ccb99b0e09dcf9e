"""Print the table of benchmarks/load.sh from wrk's RESULT lines, with the ratios and the goals.

    python -m benchmarks.load_report "RESULT app requests=... rps=... p50_ms=..." "RESULT proxy ..." ...

Exits 1 when a goal is missed: an error anywhere, the app's p99 at 0.5 s or more, or the proxy below
half the static file's requests/s.
"""

from __future__ import annotations

import sys

LABELS = {"app": "app (gunicorn)", "proxy": "nginx → app", "static": "nginx, fil"}
APP_P99_MS = 500
PROXY_PER_STATIC = 0.5


def parse(line: str) -> tuple[str, dict[str, float]]:
    """Return the run's name and its figures from one RESULT line."""
    words = line.split()
    return words[1], {key: float(value) for key, value in (word.split("=") for word in words[2:])}


def errors(figures: dict[str, float]) -> int:
    """Count every failed request: connect, read, write, timeout and non-2xx/3xx answers."""
    return int(sum(figures[key] for key in ("connect", "read", "write", "timeout", "non2xx")))


def report(lines: list[str]) -> bool:
    """Print the table and the ratios; return whether every goal was met."""
    runs = dict(parse(line) for line in lines)
    print()
    print(f"{'':16} {'req/s':>9} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    met = True
    for name, r in runs.items():
        failed = errors(r)
        print(
            f"{LABELS.get(name, name):16} {r['rps']:9.0f} {int(r['requests']):9d} {failed:7d} "
            f"{r['p50_ms']:8.1f} {r['p99_ms']:8.1f} {r['max_ms']:8.1f}   (connect {int(r['connect'])}, "
            f"read {int(r['read'])}, write {int(r['write'])}, timeout {int(r['timeout'])}, "
            f"ikke 2xx {int(r['non2xx'])})"
        )
        met &= failed == 0
    print()
    if "app" in runs:
        ok = runs["app"]["p99_ms"] < APP_P99_MS
        met &= ok
        verdict = "NÅDD" if ok else "IKKE NÅDD"
        print(f"app p99 {runs['app']['p99_ms']:.0f} ms (mål under {APP_P99_MS} ms): {verdict}")
    if "static" in runs:
        static = runs["static"]["rps"]
        if "proxy" in runs:
            ratio = runs["proxy"]["rps"] / static
            ok = ratio >= PROXY_PER_STATIC
            met &= ok
            print(
                f"forhold nginx→app / statisk fil (req/s): {ratio:.2f} (mål minst {PROXY_PER_STATIC}): "
                f"{'NÅDD' if ok else 'IKKE NÅDD'}"
            )
        if "app" in runs:
            print(f"forhold app / statisk fil (req/s): {runs['app']['rps'] / static:.2f}")
    print("alle mål (0 feil, p99, forhold):", "NÅDD" if met else "IKKE NÅDD")
    return met


def main() -> None:
    """Report the lines given as arguments."""
    sys.exit(0 if report(sys.argv[1:]) else 1)


if __name__ == "__main__":
    main()

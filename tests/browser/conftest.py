"""Browser fixtures: the app served on 127.0.0.1 and Debian's Chromium driven by Playwright.

Every browser test runs once per school in BROWSER_SCHOOLS (the `school` fixture, session-scoped and
parametrised; by default Halden's plan and the differently shaped, nynorsk example school), so nothing
passes only on Halden's shape. Tests read the school's facts from `school.plan` and its UI words through
`school.t` (bokmål msgid → the school's language), never from Halden's text. When both databases are
tested (tools/test-both.sh), each pass takes one school, so the browser matrix runs once per school.

Every browser test also proves the Content-Security-Policy: it fails when any live server received a
violation report during the test, or when Chromium logged a CSP violation to the console
(`no_csp_violations`, autouse). Both guards cover every LiveServer and every browser context made from
the session's `browser`, also ones a test makes itself.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pytest
from babel.support import Translations
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from werkzeug.serving import make_server

from backend.config import DEFAULT_SCHOOL
from backend.content.loader import load_plan
from backend.content.schema import Plan
from backend.i18n import TRANSLATIONS, compile_catalogues
from tests.conftest import ROOT, make_app

# The content folders every browser test runs against (comma-separated folder names in content/).
BROWSER_SCHOOLS = tuple(
    name.strip()
    for name in os.environ.get("BROWSER_SCHOOLS", f"{DEFAULT_SCHOOL},eksempel-vgs").split(",")
    if name.strip()
)
# How long an expect() waits for what a person would see. Playwright's 5 s is short when CI runs two
# passes side by side on two cores (a push subscribe once took longer); a passing check returns at once.
expect.set_options(timeout=15_000)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "nb-NO"}


# Chromium sends report-uri reports at once, but ignores report-uri when the policy also has report-to,
# and batches Reporting API reports (in our runs from http://127.0.0.1, none arrived within 150 s).
# The live servers therefore leave report-to out: the same policy, reported through report-uri.
CSP_CONSOLE_MARK = "Content Security Policy"
# How long a report may take from Chromium to the server after the test's last action.
REPORT_GRACE_SECONDS = 0.2


class LiveServer:
    """The app served by werkzeug in a thread, on a free port of 127.0.0.1.

    Every running instance is listed in LiveServer.running, so the CSP guard checks its reports.
    """

    running: ClassVar[list[LiveServer]] = []

    def __init__(self, app):
        self.app = app
        app.config["CSP_REPORT_TO"] = False
        self.in_flight = 0
        self._idle = threading.Condition()
        self.server = make_server("127.0.0.1", 0, self._count_requests, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _count_requests(self, environ, start_response):
        """Serve one request, counted: stop() waits until none is in flight.

        Flask pops the app context (returning the request's database connection) before it returns
        the response, so when the count is 0 no request thread holds a connection any more.
        """
        with self._idle:
            self.in_flight += 1
        try:
            return self.app(environ, start_response)
        finally:
            with self._idle:
                self.in_flight -= 1
                self._idle.notify_all()

    def start(self) -> LiveServer:
        self.thread.start()
        LiveServer.running.append(self)
        return self

    def stop(self) -> None:
        if self in LiveServer.running:
            LiveServer.running.remove(self)
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()
        # Requests still running (the service worker's precache goes on after a test's last action)
        # would hand their connection back after the app's pool was closed: it leaks, and psycopg's
        # ResourceWarning then fails whichever test is running when the garbage collector finds it.
        with self._idle:
            if not self._idle.wait_for(lambda: self.in_flight == 0, timeout=10):
                raise AssertionError(f"{self.in_flight} request(s) to {self.url} still running after 10 s")

    def csp_reports(self) -> dict[tuple[str, str], int]:
        """Return the CSP violations this server received: {(directive, blocked origin): count}."""
        return dict(self.app.extensions["rusplan.csp_reports"].counts)


class CspGuard:
    """Collects CSP violations: Chromium's console messages and the live servers' reports."""

    def __init__(self) -> None:
        self.console: list[str] = []

    def watch(self, context: BrowserContext) -> BrowserContext:
        """Record every CSP message any page or worker of this context logs."""
        context.on("console", self._on_console)
        return context

    def _on_console(self, message) -> None:
        if CSP_CONSOLE_MARK in message.text:
            self.console.append(message.text)

    def snapshot(self) -> dict[LiveServer, dict[tuple[str, str], int]]:
        """Return the reports of every running live server, to compare with later."""
        return {server: server.csp_reports() for server in LiveServer.running}

    def problems(self, before: dict[LiveServer, dict[tuple[str, str], int]]) -> list[str]:
        """Return the violations since `before`: new reports on any live server, CSP console messages."""
        found = [f"console: {text}" for text in self.console]
        for server in LiveServer.running:
            old = before.get(server, {})
            for key, count in server.csp_reports().items():
                if count > old.get(key, 0):
                    found.append(
                        f"report to {server.url}: {key[0]} blocked {key[1]} ({count - old.get(key, 0)}×)"
                    )
        return found


CSP_GUARD = CspGuard()


@contextmanager
def serving_with_alerts(app) -> Iterator[LiveServer]:
    """Serve an app whose alert sender runs; afterwards stop the server, the sender and its connections."""
    from backend.extensions import db
    from backend.services.alerts import sender
    from backend.services.plan import revision_cache

    live = LiveServer(app).start()
    try:
        yield live
    finally:
        live.stop()
        sender.stop_sender(app)
        with app.app_context():
            db.engine.dispose()
        revision_cache.clear()


@dataclass(frozen=True)
class School:
    """The school a browser test runs against: its content folder, its plan, its UI language."""

    folder: str
    plan: Plan = field(repr=False)
    translations: Translations = field(repr=False, compare=False)

    @property
    def language(self) -> str:
        return self.plan.meta.language

    def t(self, msgid: str, **params) -> str:
        """Return a UI text as this school's pages show it (msgids are bokmål)."""
        text = self.translations.gettext(msgid)
        return text % params if params else text

    def procedure_ids(self) -> list[str]:
        return [procedure.id for procedure in self.plan.procedures()]

    def urgent_ids(self) -> list[str]:
        return [procedure.id for procedure in self.plan.urgent_procedures()]


@functools.cache
def load_school(folder: str) -> School:
    """Read a school's content folder and its language's catalogue."""
    plan = load_plan(ROOT / "content" / folder)
    compile_catalogues()
    translations = Translations.load(str(TRANSLATIONS), [plan.meta.language])
    return School(folder, plan, translations)


@pytest.fixture(scope="session")
def school(request) -> School:
    """The school whose plan the browser tests of this round see (parametrised below, per test)."""
    return load_school(request.param)


@pytest.fixture(autouse=True)
def every_school(school: School) -> School:
    """Run every browser test once per school, also those that start their own server."""
    return school


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise every browser test over BROWSER_SCHOOLS.

    A test whose cases come from the school's plan (its procedures, its admin pages …) says so with
    `@pytest.mark.per_school("argnames", cases)`: cases(school) returns that school's values, and the
    test runs for every (school, value) pair, so a parametrisation never names Halden's ids.

    Only `school` is a session-scoped parameter (so pytest runs one school's tests together, module by
    module, and each module's fixtures are made once per school). The cases are ordinary parameters:
    every school's cases are offered to every school and the pairs that do not belong together are
    deselected (a session-scoped case would make pytest interleave modules case by case, rebuilding
    their fixtures each time).
    """
    if "school" not in metafunc.fixturenames:
        return
    metafunc.parametrize("school", BROWSER_SCHOOLS, indirect=True, scope="session")
    marker = metafunc.definition.get_closest_marker("per_school")
    if marker is None:
        return
    argnames, cases = marker.args
    names = [name.strip() for name in argnames.split(",")]
    params = []
    for folder in BROWSER_SCHOOLS:
        for case in cases(load_school(folder)):
            case = case if len(names) > 1 else (case,)
            case_id = "-".join(str(part) for part in case)
            params.append(pytest.param(*case, id=f"{folder}:{case_id}", marks=FOR_SCHOOL(folder)))
    if not params:  # no school under test has such a case (e.g. only the example school, no 2A/2B)
        params = [pytest.param(*[None] * len(names), id="no-case", marks=FOR_SCHOOL(None))]
    metafunc.parametrize(names, params)


FOR_SCHOOL = pytest.mark.case_of_school


def pytest_collection_modifyitems(config, items):
    """Deselect (never skip) the pairs of a school and another school's case (see per_school)."""
    dropped, kept = [], []
    for item in items:
        marker = item.get_closest_marker(FOR_SCHOOL.name)
        belongs = marker is None or marker.args[0] == item.callspec.params.get("school")
        (kept if belongs else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def live_server(school: School, tmp_path_factory) -> Iterator[LiveServer]:
    """One app server per school for the browser tests of a session."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Debian's chromium is missing: run `make test` (it installs it) or apt-get install chromium"
        )
    app = make_app(tmp_path_factory.mktemp(f"live-{school.folder}"), school=school.folder)
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, with the flags that work on this machine."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        _guard_every_context(browser)
        yield browser
        browser.close()


def _guard_every_context(browser: Browser) -> None:
    """Make every context a test opens (new_context, new_page, a persistent profile) report CSP messages."""
    new_context = browser.new_context
    new_page = browser.new_page
    launch_persistent_context = browser.browser_type.launch_persistent_context
    browser.new_context = lambda *args, **kwargs: CSP_GUARD.watch(new_context(*args, **kwargs))

    def guarded_new_page(*args, **kwargs):
        page = new_page(*args, **kwargs)
        CSP_GUARD.watch(page.context)
        return page

    browser.new_page = guarded_new_page
    browser.browser_type.launch_persistent_context = lambda *args, **kwargs: CSP_GUARD.watch(
        launch_persistent_context(*args, **kwargs)
    )


@pytest.fixture(autouse=True)
def no_csp_violations() -> Iterator[None]:
    """Fail the test when any violation of the Content-Security-Policy happened during it."""
    CSP_GUARD.console.clear()
    before = CSP_GUARD.snapshot()
    yield
    if LiveServer.running:
        time.sleep(REPORT_GRACE_SECONDS)
    problems = CSP_GUARD.problems(before)
    CSP_GUARD.console.clear()
    assert not problems, "Content-Security-Policy violations:\n" + "\n".join(problems)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh phone-sized browser profile for one test."""
    context = browser.new_context(**PHONE)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    """A page on a phone viewport (390×844)."""
    return context.new_page()


@pytest.fixture(scope="session")
def public_urls(live_server) -> list[str]:
    """Every public page of the plan the live server shows."""
    from backend.routes.common import public_page_urls
    from backend.services.plan import revision_cache

    with live_server.app.test_request_context():
        return public_page_urls(revision_cache.current().plan)

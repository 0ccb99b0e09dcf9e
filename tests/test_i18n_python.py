"""Python holds no UI text outside gettext: every message a person reads comes from the catalogues.

tests/test_i18n.py checks the templates and scripts; this reads every module of backend/ (the Alembic
migrations aside) as a syntax tree, so a plain `flash("Lagret")`, a form label, a validator's message or
an error a service builds for a page fails here, named by file, line and text, until it is `_("…")`,
`_l("…")` or `ngettext(…)`. An f-string or a concatenation counts as a plain literal: gettext never sees
it, so it can never be translated.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BACKEND = ROOT / "backend"

GETTEXT = {"_", "_l", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext", "pgettext", "npgettext"}
# Logging is for whoever runs the server: never shown to a person using the app.
LOGGING = {"debug", "info", "warning", "error", "exception", "critical", "log"}

# Where a string always reaches a page, whatever its words: these must be gettext calls.
# (call name, positional argument indexes, keyword names)
SINKS: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    "flash": ((0,), ("message",)),
    "abort": ((1,), ("description",)),
    "ValidationError": ((0,), ("message",)),  # WTForms' (and pydantic's, which takes no text)
    # Errors the services raise for a page to show (routes print str(error) beside the form).
    "DraftError": ((0,), ()),
    "InvalidPlan": ((0,), ()),
    "SignInRefused": ((0,), ()),
    "SubscriptionError": ((0,), ()),
    "ContentProblem": ((2, 3), ("field", "problem")),
}
# WTForms: a field's label is its first argument; these keywords are read on the page, on a field or a
# validator (`DataRequired(message=…)`, `StringField(description=…)`).
FIELD_KEYWORDS = ("label", "message", "description")
VALIDATORS = {
    "DataRequired",
    "InputRequired",
    "Optional",
    "Length",
    "Email",
    "EqualTo",
    "NumberRange",
    "Regexp",
    "AnyOf",
    "NoneOf",
    "URL",
    "UUID",
    "IPAddress",
    "MacAddress",
    "FileRequired",
    "FileAllowed",
    "FileSize",
}
# render_kw attributes a person reads or hears.
VISIBLE_ATTRIBUTES = ("placeholder", "title", "aria-label", "aria-description")

# Norwegian words: a plain literal that holds one is UI text gettext never sees (identifiers, SQL,
# English log text and matching patterns hold none).
NORWEGIAN = re.compile(
    r"[æøåÆØÅ]|\b(ikke|er|og|på|til|du|deg|det|som|med|kan|må|har|ble|ingen|finnes|mangler|eller|skal"
    r"|denne|dette|filen|feltet|lagret|prøv|igjen|kunne|hvis|velg|skriv|fra|av|ved|etter|importert"
    r"|gjenopprettet|erstattet)\b",
    re.IGNORECASE,
)

# The few places where Norwegian text in Python is not UI, each with the reason. Keyed by module
# (relative to the top folder) and the top-level function it stands in ("<module>" for code outside
# any function, "*" for the whole module).
ALLOWED: dict[tuple[str, str], str] = {
    # The command line is for whoever runs the server (bokmål, as the README's commands). Content
    # problems it prints come from backend/content/, in the school's language (test_content_language.py).
    ("backend/cli.py", "*"): "operator's command line",
    ("backend/services/backup.py", "*"): "BackupError: read only by `flask backup|restore` on the CLI",
    ("backend/services/vapid.py", "*"): "VapidConfigError: a start-up configuration error in the log",
    ("backend/services/sign_in_providers.py", "check_config"): "a start-up configuration error in the log",
    ("backend/config.py", "school_file_name"): "a start-up configuration error in the log",
    # Audit entries are records: written once, stored, shown as written (a translation would rewrite
    # history). The words the admin pages put around them are translated.
    ("backend/services/accounts.py", "authenticate"): "audit record of a failed sign-in",
    ("backend/services/accounts.py", "register_failure"): "audit record of a failed sign-in",
    ("backend/services/oidc.py", "admit"): "audit record of a self-registration",
    ("backend/services/contact_links.py", "link_contact"): "audit record of a changed link",
    ("backend/services/password_reset.py", "request_reset"): "audit record of a refused reset",
    ("backend/routes/account.py", "code"): "how the person signed in, an audit record",
    ("backend/routes/account.py", "confirm"): "what was typed wrong, an audit record",
    ("backend/routes/sign_in.py", "_finish"): "how the person signed in, an audit record",
    ("backend/routes/admin/revisions.py", "upload"): "the audit record of an upload",
    # Revision notes the app writes (an admin writes the others): stored with the revision and shown
    # as written in its history, like the notes people type.
    ("backend/services/content_import.py", "import_plan"): "the note and audit record of an import",
    ("backend/services/plan.py", "import_folder"): "the note of an import",
    ("backend/services/draft.py", "rebase_after_import"): "the audit record of a draft an import replaced",
    ("backend/services/draft.py", "restore"): "the note of a restored revision",
    # The comment in the marker file of a downloaded content folder: read in a text editor by whoever
    # edits the files, and the same file for every language.
    ("backend/services/content_import.py", "marker_text"): "a file's comment, not a page",
    # Not text at all.
    ("backend/services/password_reset.py", "<module>"): "an e-mail address that never exists (timing)",
    ("backend/services/passwords.py", "_dummy_hash"): "a dummy password to hash (timing), never shown",
    ("backend/services/plan_edit/__init__.py", "<module>"): "a character table for ids («møte» → «mote»)",
    ("backend/services/dates.py", "named_month_and_year"): "a pattern that reads dates",
    # Last words when even the catalogues failed (the same text is in gettext just above).
    ("backend/__init__.py", "_plain_error_text"): "the fallback when gettext itself fails",
}


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _is_gettext(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and _name(node.func) in GETTEXT


def _is_plain_text(node: ast.AST | None) -> bool:
    """Whether an argument is text gettext never sees: a str literal, an f-string, or text joined up."""
    if node is None or _is_gettext(node):
        return False
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and re.search(r"[A-Za-zÆØÅæøå]", node.value) is not None
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.Constant) and re.search(r"[A-Za-zÆØÅæøå]", v.value) for v in node.values)
    if isinstance(node, ast.BinOp):  # "a" + b, "%s feil" % x
        return _is_plain_text(node.left) or _is_plain_text(node.right)
    if isinstance(node, ast.IfExp):
        return _is_plain_text(node.body) or _is_plain_text(node.orelse)
    return False


def _text(node: ast.AST) -> str:
    return ast.unparse(node)[:100]


def _sink_problems(call: ast.Call) -> list[ast.AST]:
    """The arguments of one call that reach a page as plain text."""
    name = _name(call.func)
    found: list[ast.AST] = []
    positions, keywords = SINKS.get(name, ((), ()))
    if name.endswith("Field") and name[:1].isupper():
        positions = (*positions, 0)  # a WTForms field's label
        for keyword in call.keywords:
            if keyword.arg == "choices" and isinstance(keyword.value, (ast.List, ast.Tuple)):
                for choice in keyword.value.elts:  # [(value, "label"), ...]
                    if isinstance(choice, ast.Tuple) and len(choice.elts) == 2:
                        found += [choice.elts[1]] if _is_plain_text(choice.elts[1]) else []
            if keyword.arg == "render_kw" and isinstance(keyword.value, ast.Dict):
                for key, value in zip(keyword.value.keys, keyword.value.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value in VISIBLE_ATTRIBUTES:
                        found += [value] if _is_plain_text(value) else []
    found += [call.args[i] for i in positions if i < len(call.args) and _is_plain_text(call.args[i])]
    if name.endswith("Field") or name in VALIDATORS:
        keywords = (*keywords, *FIELD_KEYWORDS)
    for keyword in call.keywords:
        if keyword.arg in keywords and _is_plain_text(keyword.value):
            found.append(keyword.value)
    return found


MODULE = "<module>"


class _Reader(ast.NodeVisitor):
    """Walk one module: the sinks' plain arguments, and Norwegian literals outside gettext."""

    def __init__(self, path: str, allowed: dict | None = None) -> None:
        self.path = path
        self.allowed = ALLOWED if allowed is None else allowed
        self.function = MODULE
        self.problems: list[str] = []
        self.used: set[tuple[str, str]] = set()  # the allow-list entries that let something through
        self._quiet = 0  # inside gettext, logging or a docstring

    def report(self, node: ast.AST, why: str) -> None:
        for key in ((self.path, self.function), (self.path, "*")):
            if key in self.allowed:
                self.used.add(key)
                return
        self.problems.append(f"{self.path}:{node.lineno}: {why}: {_text(node)}")

    def _body(self, node: ast.AST) -> None:
        body = getattr(node, "body", [])
        docstring = (
            body[0].value
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
            else None
        )
        for child in ast.iter_child_nodes(node):
            if child is not (body[0] if docstring is not None else None):
                self.visit(child)

    def visit_Module(self, node: ast.Module) -> None:
        self._body(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._body(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer, self.function = self.function, (node.name if self.function == MODULE else self.function)
        self._body(node)
        self.function = outer

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        if _is_gettext(node):
            # The msgid (and ngettext's plural) must be a literal: pybabel extracts only literals, so
            # _(f"Hei {name}") or _(text) would never reach the catalogue.
            count = 2 if _name(node.func).endswith("ngettext") else 1
            for argument in node.args[:count]:
                if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
                    self.report(argument, f"{_name(node.func)}() of something not a literal")
        if not self._quiet:
            for argument in _sink_problems(node):
                self.report(argument, f"{_name(node.func)}() shows plain text")
        quiet = _is_gettext(node) or (_name(node.func) in LOGGING and isinstance(node.func, ast.Attribute))
        self._quiet += quiet
        self.generic_visit(node)
        self._quiet -= quiet

    def visit_Constant(self, node: ast.Constant) -> None:
        if not self._quiet and isinstance(node.value, str) and NORWEGIAN.search(node.value):
            self.report(node, "Norwegian text outside gettext")


def untranslated(source: str, path: str = "module.py") -> list[str]:
    """Return each plain text in a module that a person would read: «file:line: why: text»."""
    reader = _Reader(path)
    reader.visit(ast.parse(source))
    return reader.problems


def modules() -> list[Path]:
    return [
        path for path in sorted(BACKEND.rglob("*.py")) if "migrations" not in path.relative_to(BACKEND).parts
    ]


def test_no_ui_text_in_python_outside_gettext():
    """Every flash, abort text, form label and message, and every Norwegian sentence is a gettext call."""
    problems = [
        problem
        for path in modules()
        for problem in untranslated(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert len(modules()) > 40, "backend/ not found"
    assert not problems, "Wrap in _() / _l(), run `make translations` and translate:\n" + "\n".join(problems)


def test_every_allow_list_entry_is_needed():
    """An allow-list entry that lets nothing through (its function gone, or its text now translated)
    is dead weight that would hide the next plain text written there: it must go."""
    used: set[tuple[str, str]] = set()
    for path in modules():
        reader = _Reader(str(path.relative_to(ROOT)))
        reader.visit(ast.parse(path.read_text(encoding="utf-8")))
        used |= reader.used
    assert not set(ALLOWED) - used, sorted(set(ALLOWED) - used)


def test_the_python_check_finds_plain_text():
    """The check fails on each kind of plain text, and passes the same text through gettext."""
    assert untranslated('flash("Hei")') == ["module.py:1: flash() shows plain text: 'Hei'"]
    assert untranslated('flash(f"Velkommen, {name}!", "success")')
    assert untranslated('abort(400, description="Bad format")')
    assert untranslated('abort(400, "Bad format")')
    assert untranslated('raise ValidationError("Skriv en e-postadresse.")')
    assert untranslated('name = StringField("Navn", validators=[DataRequired(message="Required")])') == [
        "module.py:1: StringField() shows plain text: 'Navn'",
        "module.py:1: DataRequired() shows plain text: 'Required'",
    ]
    assert untranslated('x = SelectField(_l("Rolle"), choices=[("a", "Leader")])')
    assert untranslated('x = StringField(_l("Rolle"), render_kw={"placeholder": "Name"})')
    assert untranslated('raise DraftError("Draft " + version)')
    assert untranslated('errors = {"phone": "Nummeret er ikke gyldig"}')  # Norwegian anywhere
    assert untranslated('def f():\n    return "Fant ikke siden"') == [
        "module.py:2: Norwegian text outside gettext: 'Fant ikke siden'"
    ]
    # Through gettext, in a log line, a docstring or an identifier: nothing to find.
    assert untranslated('flash(_("Hei"))\nabort(400, description=_("Feil format."))') == []
    assert untranslated('flash(_("Velkommen, %(name)s!", name=name), "success")') == []
    assert (
        untranslated('name = StringField(_l("Navn"), validators=[DataRequired(message=_l("Skriv navn."))])')
        == []
    )
    assert untranslated('logger.warning("Kunne ikke sende varsel til %s", host)') == []
    assert untranslated('def f():\n    """Vis siden på nytt."""\n    return render("admin/plan.html")') == []
    assert untranslated('x = SelectField(_l("Rolle"), choices=[("leader", _l("Leder"))])') == []
    # A msgid pybabel cannot extract is as untranslated as no gettext at all.
    assert untranslated('flash(_(f"Velkommen, {name}!"))') == [
        "module.py:1: _() of something not a literal: f'Velkommen, {name}!'"
    ]
    assert untranslated("flash(_(text))")

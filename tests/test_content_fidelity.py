"""Every fact of the school's plan, read from the plan's own text, can be found by tapping from home.

The test parses ../shared/plan/*.txt itself (text taken from the school's PDF, so wrapped lines and page
artefacts are noise) and then crawls the app from "/" by following links, as a person would.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.pages import Page, crawl, normalise, parse_page
from tests.support import admin_client

ROOT = Path(__file__).resolve().parent.parent
PLAN_DIR = ROOT.parent / "shared" / "plan"
PLAN_FILE = PLAN_DIR / "handlingsplan-mot-rus-halden-vgs-2025-2026.txt"

if not PLAN_FILE.is_file():
    pytest.skip(
        f"the plan text {PLAN_FILE} is missing: this test needs ../shared/plan/ beside the repository "
        "(CI always has it)",
        allow_module_level=True,
    )

# The plan's section headings, in the document's order: the anchors the text is split on.
SECTION_HEADINGS = (
    "Sjekkliste ved bekymring om rus",
    "Innledning",
    "Forebyggende tiltak",
    "Taushetsplikt/opplysningsplikt",
    "Dokumentasjon",
    "Hva gjør vi?",
    "Kontaktpersoner",
    "Aktuelt lovverk",
    "Nyttige lenker",
    "Evaluering av handlingsplanen",
)
# A lone page number or the running header of a PDF page.
ARTEFACT = re.compile(r"^(\d{1,2}|Skoleåret \d{4}-\d{4})$")
URL_LINE = re.compile(r"^https?://\S+$")
PHONE_LINE = re.compile(r"^(?P<who>.+?)\s+Tlf\.\s*(?P<number>\d[\d ]*\d)$")
ALTERNATIVE = re.compile(r"^Alternativ (?P<number>\d+): (?P<title>.+)$")
SUB_ALTERNATIVE = re.compile(r"^(?P<letter>[A-Z]): (?P<title>.+?):?$")
SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=[A-ZÆØÅ«])")


# ---------------------------------------------------------------------------------------------- the plan


@dataclass
class Person:
    """A line "<role> <name> Tlf. <number>" of the contact list, with the group heading above it."""

    who: str
    number: str
    group: str | None

    @property
    def href(self) -> str:
        """The tel: link in E.164 for a Norwegian 8-digit number; a short number as it is."""
        digits = re.sub(r"\D", "", self.number)
        return f"tel:+47{digits}" if len(digits) == 8 else f"tel:{digits}"


@dataclass
class Procedure:
    """One alternative of "Hva gjør vi?" (or its A/B branch): its heading and every line under it."""

    key: str
    heading: str
    items: list[str] = field(default_factory=list)

    def facts(self) -> list[str]:
        """Every sentence of the steps, the meeting and its agenda."""
        return [s for item in self.items for s in sentences(strip_marker(item))]


def sentences(text: str) -> list[str]:
    """Split a paragraph into sentences (a new sentence starts with a capital after . ? !)."""
    return [part for part in SENTENCE_END.split(normalise(text)) if part]


def strip_marker(item: str) -> str:
    """Remove a bullet ("- "), a tick ("✓ ") or a list number ("1. ") from the start of an item."""
    return re.sub(r"^(?:-|✓|\d+\.)\s+", "", item)


def join_wrapped(lines: list[str]) -> list[str]:
    """Join lines the PDF wrapped: lines going on in lower case, and link titles split before Lovdata."""
    items: list[str] = []
    for line in lines:
        goes_on = line[0].islower() or line.startswith(("Lovdata", "- Lovdata"))
        if items and (goes_on or items[-1].endswith(" -")):
            items[-1] = f"{items[-1]} {line}"
        else:
            items.append(line)
    return items


@dataclass
class PlanText:
    """The facts of the plan, extracted from its text."""

    raw: str
    sections: dict[str, list[str]]

    @classmethod
    def read(cls, path: Path) -> PlanText:
        """Split the text into its sections, dropping blank lines, page numbers and running headers."""
        raw = path.read_text(encoding="utf-8")
        sections: dict[str, list[str]] = {}
        current: str | None = None
        for line in (normalise(line) for line in raw.splitlines()):
            if not line or ARTEFACT.match(line):
                continue
            if line in SECTION_HEADINGS:
                assert line not in sections, f"the heading {line!r} occurs twice"
                current = line
                sections[current] = []
            elif current is not None:
                sections[current].append(line)
        return cls(raw, sections)

    def items(self, heading: str) -> list[str]:
        """The logical lines of a section (wrapped lines joined, URL lines left out)."""
        return join_wrapped([line for line in self.sections[heading] if not URL_LINE.match(line)])

    def checklist_signs(self) -> list[str]:
        """The ✓ lines of the checklist."""
        return [strip_marker(i) for i in self.items("Sjekkliste ved bekymring om rus") if i.startswith("✓")]

    def checklist_quote(self) -> str:
        """The gut-feeling quote above the checklist, with its « »."""
        return next(i for i in self.items("Sjekkliste ved bekymring om rus") if i.startswith("«"))

    def prose_facts(self) -> list[str]:
        """Every sentence and bullet of the introduction, prevention, confidentiality and documentation."""
        headings = ("Innledning", "Forebyggende tiltak", "Taushetsplikt/opplysningsplikt", "Dokumentasjon")
        return [s for h in headings for item in self.items(h) for s in sentences(strip_marker(item))]

    def procedures(self) -> list[Procedure]:
        """The alternatives of "Hva gjør vi?", with A and B as their own procedures."""
        procedures: list[Procedure] = []
        parent = ""
        for item in self.items("Hva gjør vi?"):
            if match := ALTERNATIVE.match(item):
                parent = match["number"]
                procedures.append(Procedure(parent, item))
            elif (match := SUB_ALTERNATIVE.match(item)) and procedures:
                procedures.append(Procedure(parent + match["letter"], match["title"]))
            else:
                assert procedures, f"text before the first alternative: {item!r}"
                procedures[-1].items.append(item)
        return procedures

    def people(self) -> list[Person]:
        """Every person in the contact list with their number and group heading."""
        people: list[Person] = []
        group: str | None = None
        for line in self.sections["Kontaktpersoner"]:
            if match := PHONE_LINE.match(line):
                people.append(Person(match["who"], match["number"], group))
            else:
                group = line.removesuffix(":").strip()
        return people

    def police_number(self) -> str:
        """The police number leadership calls in alternative 4."""
        match = re.search(r"politiet (\d{5})\b", self.raw)
        assert match, "no police number in the plan"
        return match[1]

    def links(self) -> list[tuple[str, str]]:
        """(title, url) of every link: the titles in order, paired with the URL list at the end.

        The PDF lists a URL once per line its link text covers, so repeats in a row are one link.
        """
        urls: list[str] = []
        for line in self.raw.splitlines():
            url = line.strip()
            if URL_LINE.match(url) and (not urls or urls[-1] != url):
                urls.append(url)
        titles = [i for i in self.items("Aktuelt lovverk") if i.endswith("Lovdata")]
        titles += self.items("Nyttige lenker")
        assert len(titles) == len(urls), f"{len(titles)} link titles but {len(urls)} links: {titles} {urls}"
        return list(zip(titles, urls, strict=True))

    def law_names(self) -> list[str]:
        """The laws and regulations named above their links."""
        return [i for i in self.items("Aktuelt lovverk") if not i.endswith("Lovdata")]

    def evaluation(self) -> list[str]:
        """The lines of the evaluation block."""
        return self.items("Evaluering av handlingsplanen")

    def school_year(self) -> str:
        """The school year in the running header, such as 2025-2026."""
        match = re.search(r"Skoleåret (\d{4}-\d{4})", self.raw)
        assert match, "no school year in the plan"
        return match[1]


@pytest.fixture(scope="module")
def plan_text() -> PlanText:
    """The plan, split into sections."""
    text = PlanText.read(PLAN_FILE)
    missing = [h for h in SECTION_HEADINGS if h not in text.sections]
    assert not missing, f"the plan text has no section {missing}"
    return text


@pytest.fixture
def pages(client) -> dict[str, Page]:
    """Every page reachable from the home page by following links."""
    return crawl(client, "/")


def pages_with(pages: dict[str, Page], fact: str) -> list[str]:
    """URLs of the pages whose text holds the fact."""
    return [url for url, page in pages.items() if page.contains(fact)]


def missing_from_site(pages: dict[str, Page], facts: list[str]) -> list[str]:
    """Facts that no reachable page shows."""
    return [fact for fact in facts if not pages_with(pages, fact)]


# --------------------------------------------------------------------------------------------- the tests


def test_the_parser_finds_the_plan(plan_text):
    """The extraction itself works: it finds the parts the issue describes (not their wording)."""
    assert len(plan_text.checklist_signs()) == 7
    assert len(plan_text.people()) == 16
    assert [p.key for p in plan_text.procedures()] == ["1", "2", "2A", "2B", "3", "4"]
    assert all(p.items for p in plan_text.procedures())
    assert plan_text.police_number() == "02800"
    assert any("korus" in url for _title, url in plan_text.links())
    assert len(plan_text.evaluation()) == 3


def test_checklist_signs_are_on_one_page_reachable_from_home(pages, plan_text):
    """The seven signs and the gut-feeling quote stand together on the checklist page."""
    signs = plan_text.checklist_signs()
    title = "Sjekkliste ved bekymring om rus"
    candidates = [p for p in pages.values() if title in p.h1]
    assert candidates, f"no reachable page has the heading {title!r}"
    page = candidates[0]
    missing = [s for s in [*signs, plan_text.checklist_quote()] if not page.contains(s)]
    assert not missing, f"{page.url} lacks: {missing}"


@pytest.mark.parametrize("key", ["1", "2", "2A", "2B", "3", "4"])
def test_every_step_of_an_alternative_is_on_its_page(pages, plan_text, key):
    """Each alternative's heading, steps, meeting and agenda stand together on one reachable page."""
    procedure = next(p for p in plan_text.procedures() if p.key == key)
    facts = [procedure.heading, *procedure.facts()]
    best_url, best_missing = None, facts
    for url, page in pages.items():
        missing = [fact for fact in facts if not page.contains(fact)]
        if len(missing) < len(best_missing):
            best_url, best_missing = url, missing
    assert not best_missing, f"alternative {key}: the closest page {best_url} lacks {best_missing}"


def test_every_person_can_be_called_with_one_tap(pages, plan_text):
    """Each number is a tel: link in E.164 that names the person and shows the number as printed."""
    tel_links = [
        (url, link) for url, page in pages.items() for link in page.links if link.href.startswith("tel:")
    ]
    problems = []
    for person in plan_text.people():
        links = [(url, link) for url, link in tel_links if link.href == person.href]
        if not links:
            problems.append(f"{person.who}: no link {person.href}")
            continue
        named = [
            (url, link)
            for url, link in links
            if all(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", link.text, re.I) for w in person.who.split())
        ]
        if not named:
            problems.append(
                f"{person.who}: the {person.href} links do not name them: {[t.text for _, t in links]}"
            )
            continue
        if not any(re.search(rf"(?<!\d){re.escape(person.number)}(?!\d)", link.text) for _, link in named):
            problems.append(f"{person.who}: {person.number!r} is not shown on the link")
        if person.group and not any(
            0 <= pages[url].text.find(person.group) < pages[url].text.find(link.text) for url, link in named
        ):
            problems.append(f"{person.who}: not shown under the heading {person.group!r}")
    assert not problems, "\n".join(problems)


def test_the_police_number_can_be_called_with_one_tap(pages, plan_text):
    """02800, the number leadership calls in alternative 4, is a tel: link as it is."""
    number = plan_text.police_number()
    links = [link for page in pages.values() for link in page.links if link.href == f"tel:{number}"]
    assert links, f"no tel:{number} link on a page reachable from home"
    assert all(number in link.text and re.search("politi", link.text, re.I) for link in links), [
        link.text for link in links
    ]
    assert pages_with(pages, f"kontakter politiet {number}"), "the step with the police number is missing"


def test_laws_and_useful_links_are_links_with_the_plans_titles(pages, plan_text):
    """Each Lovdata link and the KORUS link is an href with the title the plan gives it."""
    found = {(link.text, link.href) for page in pages.values() for link in page.links}
    missing = [(title, url) for title, url in plan_text.links() if (title, url) not in found]
    assert not missing, f"links missing (title, href): {missing}"
    assert not missing_from_site(pages, plan_text.law_names())


def test_introduction_prevention_confidentiality_and_documentation_are_on_the_site(pages, plan_text):
    """Every sentence and bullet of the plan's prose sections is shown somewhere reachable."""
    facts = plan_text.prose_facts()
    assert "man må derfor aldri love elever taushet" in " ".join(facts)
    assert not missing_from_site(pages, facts)


def test_evaluation_block_and_school_year_are_shown(pages, plan_text):
    """Version, next revision and who is responsible, and the school year, as in the plan."""

    def loose(text: str) -> str:
        return normalise(text.replace(":", " ").replace("–", "-")).lower()

    heading = "Evaluering av handlingsplanen"
    candidates = [p for p in pages.values() if p.contains(heading)]
    assert candidates, f"no reachable page shows {heading!r}"
    for page in candidates:
        if all(loose(line) in loose(page.text) for line in plan_text.evaluation()):
            break
    else:
        pytest.fail(
            f"no page shows all of {plan_text.evaluation()} (looked at {[p.url for p in candidates]})"
        )
    assert loose(plan_text.school_year()) in loose(page.text)


# ------------------------------------------------------------------- the whole plan on paper (issue 12)


def paper_facts(plan_text: PlanText) -> list[str]:
    """Every fact the tests above find on the site, as text that must stand on paper too."""
    facts = [*plan_text.checklist_signs(), plan_text.checklist_quote()]
    for procedure in plan_text.procedures():
        facts += [procedure.heading, *procedure.facts()]
    facts += plan_text.prose_facts()
    facts += plan_text.law_names()
    facts += [title for title, _url in plan_text.links()]
    facts += [f"kontakter politiet {plan_text.police_number()}"]
    return facts


def rows_naming(rows: list[str], person: Person) -> list[str]:
    """The rows (of a table, or lines of a PDF) with the person's number and every word of who they are."""
    return [
        row
        for row in rows
        if re.search(rf"(?<!\d){re.escape(person.number)}(?!\d)", row)
        and all(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", row, re.I) for w in person.who.split())
    ]


def missing_on_paper(text: str, rows: list[str], plan_text: PlanText) -> list[str]:
    """What the plan says that this printed text lacks: facts, people with numbers, links, evaluation."""

    def loose(value: str) -> str:
        return normalise(value.replace(":", " ").replace("–", "-")).lower()

    page = Page("paper", "", normalise(text), [], [])
    missing = [fact for fact in paper_facts(plan_text) if not page.contains(fact)]
    missing += [f"{p.who} {p.number}" for p in plan_text.people() if not rows_naming(rows, p)]
    missing += [f"{p.group} (heading)" for p in plan_text.people() if p.group and not page.contains(p.group)]
    bare = re.sub(r"\s+", "", text)  # a long URL wraps over lines on paper
    missing += [f"{title} ({url})" for title, url in plan_text.links() if url not in bare]
    missing += [line for line in plan_text.evaluation() if loose(line) not in loose(text)]
    if loose(plan_text.school_year()) not in loose(text):
        missing.append(plan_text.school_year())
    return missing


def test_the_print_page_holds_every_fact_of_the_plan(client, plan_text):
    """/om-planen/utskrift, the whole plan on one page, has every fact the site has, links with their URLs."""
    response = client.get("/om-planen/utskrift")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = parse_page("/om-planen/utskrift", html)
    rows = [parse_page("row", row).text for row in re.findall(r"<tr>.*?</tr>", html, re.S)]
    hrefs = {(link.text, link.href) for link in page.links}
    missing = missing_on_paper(page.text + " " + " ".join(href for _text, href in hrefs), rows, plan_text)
    missing += [f"link {title} → {url}" for title, url in plan_text.links() if (title, url) not in hrefs]
    assert not missing, f"the print page lacks: {missing}"


def pdf_text(data: bytes) -> tuple[str, list[str]]:
    """The text of a PDF read back with pypdf, without the running footer; and its lines."""
    reader = PdfReader(io.BytesIO(data))
    pages = []
    for number, pdf_page in enumerate(reader.pages, 1):
        text = pdf_page.extract_text()
        # The footer WeasyPrint repeats on every page («… Neste revisjon … Side 3 av 13.») would split a
        # sentence that runs over a page break; tests/test_printout.py checks it on its own.
        footer = rf"Handlingsplan mot rus, .*?\(innen .*?\)\.\s+Side\s+{number}\s+av\s+{len(reader.pages)}\."
        text = re.sub(footer, "", text, flags=re.S)
        pages.append(text)
    text = "\n".join(pages)
    return text, text.splitlines()


def test_the_pdf_holds_every_fact_of_the_plan(app, plan_text):
    """The admin's PDF, read back with a PDF text library, has every fact the print page has."""
    response = admin_client(app).get("/om-planen/utskrift.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text, lines = pdf_text(response.data)
    missing = missing_on_paper(text, lines, plan_text)
    assert not missing, f"the PDF lacks: {missing}"

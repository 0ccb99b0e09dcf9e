"""The plan as typed data: what a school's content folder must contain.

Every model forbids unknown fields, so a typo in a YAML key is an error with the
file and field named instead of a silently missing part of the plan.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Slug = str
# Who a step applies to, so one switch can show the steps for the student's age.
Audience = Literal["all", "under_18", "over_18"]
# Who does a step. Keys are fixed so the browser can group and label them.
Actor = Literal["mottaker", "deg", "kontaktlaerer", "miljoveileder", "ledelse", "elevtjenesten"]

ACTOR_LABELS: dict[str, str] = {
    "mottaker": "Den som mottar henvendelsen",
    "deg": "Du som er bekymret",
    "kontaktlaerer": "Kontaktlærer",
    "miljoveileder": "Miljøveileder",
    "ledelse": "Rektor/ledelse",
    "elevtjenesten": "Elevtjenesten",
}

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class Strict(BaseModel):
    """Base for content models: unknown keys and wrong types are errors."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


def _check_slug(value: str) -> str:
    if not SLUG_RE.match(value):
        raise ValueError("må være små bokstaver a–z, tall og bindestrek (for eksempel «alternativ-3»)")
    return value


class Evaluation(Strict):
    """The plan's own evaluation block."""

    version: str = Field(min_length=1)  # as printed: "august 2025"
    version_date: date
    next_revision: str = Field(min_length=1)  # as printed: "juni 2026"
    next_revision_date: date
    responsible: str = Field(min_length=1)


class Goal(Strict):
    """One of the plan's goals with its explanation."""

    title: str = Field(min_length=1)
    explanation: str = Field(min_length=1)


class Meta(Strict):
    """Who the plan belongs to and when it applies (plan.yaml)."""

    school: str = Field(min_length=1)
    school_short: str = Field(min_length=1)
    title: str = Field(min_length=1)
    school_year: str = Field(min_length=1)
    scope: list[str] = Field(min_length=1)
    goals: list[Goal] = Field(min_length=1)
    evaluation: Evaluation


class Checklist(Strict):
    """The concern checklist (checklist.yaml)."""

    title: str = Field(min_length=1)
    quote: str = Field(min_length=1)
    signs: list[str] = Field(min_length=1)


class Step(Strict):
    """One step of an alternative, in the plan's order."""

    id: Slug
    text: str = Field(min_length=1)
    actor: Actor
    audience: Audience = "all"
    # A lead line shown above this step, such as "Rektor/ledelse sørger for at:".
    heading: str | None = None
    # Set when the step is not the plan's own sentence but follows from another part of
    # the plan (the consent rule for students of 18 and over); names the source.
    derived_from: str | None = None
    # Who is contacted or informed when this step is done, by role (for "Notat til Elements").
    contacted: str | None = None

    _slug = field_validator("id")(_check_slug)


class Attendee(Strict):
    """Someone who takes part in the follow-up meeting."""

    label: str = Field(min_length=1)
    audience: Audience = "all"


class Meeting(Strict):
    """The follow-up meeting of an alternative."""

    called_by: Actor
    text: str = Field(min_length=1)  # the plan's sentence about who calls and who attends
    attendees: list[Attendee] = Field(min_length=1)
    agenda_intro: str = "I møtet skal følgende skje:"
    agenda: list[str] = Field(min_length=1)
    minutes_by: Actor = "miljoveileder"


class Alternative(Strict):
    """One of the plan's procedures ("Hva gjør vi?"): 1, 2, 2A, 2B, 3 or 4."""

    id: Slug
    label: str = Field(min_length=1)  # "Alternativ 1", "2A"
    title: str = Field(min_length=1)  # as in the plan
    short: str = Field(min_length=1)  # a few plain words for buttons
    emergency: bool = False
    parent: Slug | None = None  # 2a and 2b belong to 2
    intro: str | None = None  # a lead sentence such as "Rektor/ledelse sørger for at:"
    steps: list[Step] = Field(default_factory=list)
    after_steps: str | None = None  # a sentence that follows the steps (alternative 2)
    meeting: Meeting | None = None

    _slug = field_validator("id")(_check_slug)

    @property
    def urgent(self) -> bool:  # shim until the plan-model branch lands
        return self.emergency


class Alternatives(Strict):
    """All procedures (alternatives.yaml)."""

    title: str = Field(min_length=1)  # "Hva gjør vi?"
    alternatives: list[Alternative] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids_unique_and_parents_known(self) -> Alternatives:
        ids = [a.id for a in self.alternatives]
        if len(ids) != len(set(ids)):
            raise ValueError("hvert alternativ må ha en unik id")
        for alternative in self.alternatives:
            if alternative.parent and alternative.parent not in ids:
                raise ValueError(f"ukjent parent «{alternative.parent}» i {alternative.id}")
            step_ids = [s.id for s in alternative.steps]
            if len(step_ids) != len(set(step_ids)):
                raise ValueError(f"stegene i {alternative.id} må ha unike id-er")
        return self


def normalise_phone(value: str) -> str:
    """Return a number in E.164, or a Norwegian short number (such as 02800) as it is."""
    raw = re.sub(r"[\s.-]", "", str(value))
    if re.fullmatch(r"0\d{4}|1\d{2}", raw):
        return raw
    try:
        parsed = phonenumbers.parse(raw, "NO")
    except phonenumbers.NumberParseException as error:
        raise ValueError(f"«{value}» er ikke et gyldig nummer") from error
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(f"«{value}» er ikke et gyldig nummer")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class Contact(Strict):
    """A person in the plan's contact list."""

    id: Slug
    name: str = Field(min_length=1)
    role: str = Field(min_length=1)
    phone: str
    drug_responsible: bool = False  # "Spesielt ansvar for oppfølging av rusrelaterte saker"
    leadership: bool = False  # part of the call chain in alternatives 3 and 4

    _slug = field_validator("id")(_check_slug)
    _phone = field_validator("phone")(normalise_phone)


class ContactGroup(Strict):
    """A heading in the contact list, as in the plan."""

    id: Slug
    title: str = Field(min_length=1)
    contacts: list[Contact] = Field(min_length=1)

    _slug = field_validator("id")(_check_slug)


class ServiceNumber(Strict):
    """A number that is not a person: the police's non-emergency line."""

    label: str = Field(min_length=1)
    description: str = Field(min_length=1)
    phone: str

    _phone = field_validator("phone")(normalise_phone)


class Contacts(Strict):
    """The contact list (contacts.yaml)."""

    title: str = Field(min_length=1)
    groups: list[ContactGroup] = Field(min_length=1)
    police: ServiceNumber

    @model_validator(mode="after")
    def _ids_unique(self) -> Contacts:
        ids = [c.id for g in self.groups for c in g.contacts]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"hver kontakt må ha en unik id («{'», «'.join(twice)}» står mer enn én gang)")
        return self


class Link(Strict):
    """A link as the plan shows it."""

    title: str = Field(min_length=1)
    url: str = Field(pattern=r"^https://")


class Law(Strict):
    """A law or regulation with the section the plan names."""

    name: str = Field(min_length=1)  # "Forvaltningsloven § 13"
    links: list[Link] = Field(min_length=1)


class Links(Strict):
    """Laws and useful links (links.yaml)."""

    laws: list[Law] = Field(min_length=1)
    useful: list[Link] = Field(min_length=1)


class Prevention(Strict):
    """Preventive measures (prevention.yaml); the prose is in sections/forebygging.md."""

    classes_title: str = Field(min_length=1)
    classes: list[str] = Field(min_length=1)
    environment_title: str = Field(min_length=1)
    environment: list[str] = Field(min_length=1)


class Section(Strict):
    """A prose section, written in Markdown in sections/<slug>.md."""

    slug: Slug
    title: str = Field(min_length=1)
    body: str = Field(min_length=1)  # Markdown source

    _slug = field_validator("slug")(_check_slug)


STATEMENTS_EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$"


class Statements(Strict):
    """Who answers for the accessibility and privacy statements (statements.yaml; not from the plan)."""

    owner: str = Field(min_length=1)  # the school owner, data controller: "Østfold fylkeskommune"
    feedback_contact: Slug  # id of the person in contacts.yaml who takes feedback
    email: str | None = Field(default=None, pattern=STATEMENTS_EMAIL_PATTERN)
    accessibility_reviewed: date
    privacy_reviewed: date


# The plan's own prose, then the two statements every Norwegian public body publishes.
SECTION_SLUGS = (
    "innledning",
    "forebygging",
    "taushetsplikt",
    "dokumentasjon",
    "finn-hjelp",
    "tilgjengelighet",
    "personvern",
)


class Plan(Strict):
    """The whole plan of one school: what a revision stores."""

    meta: Meta
    checklist: Checklist
    alternatives: Alternatives
    contacts: Contacts
    links: Links
    prevention: Prevention
    statements: Statements
    sections: list[Section]

    @model_validator(mode="after")
    def _sections_complete(self) -> Plan:
        have = {s.slug for s in self.sections}
        missing = [slug for slug in SECTION_SLUGS if slug not in have]
        if missing:
            raise ValueError(f"mangler tekstdel(er): {', '.join(missing)}")
        wanted = self.statements.feedback_contact
        if not any(c.id == wanted for c in self.all_contacts()):
            raise ValueError(
                f"den som tar imot tilbakemeldinger (feedback_contact) «{wanted}» "
                "er ingen kontakt i kontaktlisten"
            )
        return self

    def feedback_contact(self) -> Contact:
        """Return the person who takes feedback on the statements."""
        return next(c for c in self.all_contacts() if c.id == self.statements.feedback_contact)

    def section(self, slug: str) -> Section:
        """Return the prose section with this slug."""
        return next(s for s in self.sections if s.slug == slug)

    def alternative(self, alternative_id: str) -> Alternative | None:
        """Return the alternative with this id, or None."""
        return next((a for a in self.alternatives.alternatives if a.id == alternative_id), None)

    def procedure(self, procedure_id: str) -> Alternative | None:  # shim until the plan-model branch lands
        return self.alternative(procedure_id)

    def urgent_procedures(self) -> list[Alternative]:  # shim until the plan-model branch lands
        return [a for a in self.alternatives.alternatives if a.emergency]

    def services(self) -> list[ServiceNumber]:  # shim until the plan-model branch lands
        return [self.contacts.police]

    def all_contacts(self) -> list[Contact]:
        """Return every person in the contact list, in the plan's order."""
        return [c for g in self.contacts.groups for c in g.contacts]

    def call_chain(self) -> list[Contact]:
        """Return the leaders in the order to call them: rektor, assisterende rektor, the others."""
        return [c for c in self.all_contacts() if c.leadership]

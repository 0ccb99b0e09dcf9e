"""The plan as typed data: what a school's content folder must contain.

Every model forbids unknown fields, so a typo in a YAML key is an error with the
file and field named instead of a silently missing part of the plan. Nothing here
knows one school: roles, procedures, service numbers, checklists, sections and the
archive system are all the school's content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import phonenumbers
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from backend.content.guide_schema import Guide, check_guide, plan_procedures

Slug = str
# Who a step applies to, so one switch can show the steps for the student's age.
Audience = Literal["all", "under_18", "over_18"]
Language = Literal["nb", "nn"]

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class Strict(BaseModel):
    """Base for content models: unknown keys and wrong types are errors."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


def default_agenda_intro() -> str:
    """The words before a meeting's agenda when the school wrote none, in the language in force."""
    return _("I møtet skal følgende skje:")


def _check_slug(value: str) -> str:
    if not SLUG_RE.match(value):
        raise ValueError(_("må være små bokstaver a–z, tall og bindestrek (for eksempel «rutine-3»)"))
    return value


class Evaluation(Strict):
    """The plan's own evaluation block."""

    version: str = Field(min_length=1)  # as printed: "august 2025"
    # The date of that version, for the app's own use
    version_date: date
    next_revision: str = Field(min_length=1)  # as printed: "juni 2026"
    # The date of the next revision; the app reminds the admins when it has passed
    next_revision_date: date
    # Who evaluates and revises the plan
    responsible: str = Field(min_length=1)


class Goal(Strict):
    """One of the plan's goals with its explanation."""

    # The goal as the plan words it
    title: str = Field(min_length=1)
    # The sentence under the goal
    explanation: str = Field(min_length=1)


class Archive(Strict):
    """The school's archive system, where minutes are written, and the wording of the app's note."""

    name: str = Field(min_length=1)  # the system's name, such as "Public 360"
    note_title: str = Field(min_length=1)  # "Notat til Public 360"
    note_hint: str = Field(min_length=1)  # one sentence under the note's heading


class Meta(Strict):
    """Who the plan belongs to, when it applies, its language and archive (plan.yaml)."""

    # The school's full name, as in the plan's heading
    school: str = Field(min_length=1)
    # The short name the plan uses in running text (such as «Eksempel vgs.»)
    school_short: str = Field(min_length=1)
    # The plan's title: «Handlingsplan mot rus»
    title: str = Field(min_length=1)
    # The school year the plan applies to, as printed: «2025–2026»
    school_year: str = Field(min_length=1)
    # The language the plan is written in; sets the UI's language and <html lang>
    language: Language
    archive: Archive
    # What the plan covers (alcohol, pills, ...), one item a line
    scope: list[str] = Field(min_length=1)
    goals: list[Goal] = Field(min_length=1)
    evaluation: Evaluation


class Role(Strict):
    """A role the school's plan names: who does a step, calls a meeting, or is called in an emergency."""

    # How steps, meetings, contacts and the annual wheel name this role
    id: Slug
    # The role as the app shows it: «Kontaktlærer»
    label: str = Field(min_length=1)
    call_chain: bool = False  # contacts with this role are called first in an urgent procedure

    _slug = field_validator("id")(_check_slug)


class Roles(Strict):
    """The school's roles (roles.yaml)."""

    roles: list[Role] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids_unique(self) -> Roles:
        _unique([r.id for r in self.roles], _l("hver rolle må ha en unik id"))
        return self


class Checklist(Strict):
    """A concern checklist: title, the quote above it and the signs."""

    # The checklist's id (part of its address)
    id: Slug
    # The checklist's heading
    title: str = Field(min_length=1)
    # The quote above the signs, without « » (the app adds them)
    quote: str = Field(min_length=1)
    # The signs to look for, one a line, in order
    signs: list[str] = Field(min_length=1)

    _slug = field_validator("id")(_check_slug)


class Checklists(Strict):
    """The school's checklists (checklists.yaml), in the order shown."""

    checklists: list[Checklist] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids_unique(self) -> Checklists:
        _unique([c.id for c in self.checklists], _l("hver sjekkliste må ha en unik id"))
        return self


class Step(Strict):
    """One step of a procedure, in the plan's order."""

    # The step's id, unique within its procedure
    id: Slug
    # What is done, in the plan's words
    text: str = Field(min_length=1)
    role: Slug  # a role id from roles.yaml
    audience: Audience = "all"
    # A lead line shown above this step, such as "Rektor/ledelse sørger for at:".
    heading: str | None = None
    # Set when the step is not the plan's own sentence but follows from another part of
    # the plan (the consent rule for students of 18 and over); names the source.
    derived_from: str | None = None
    # Who is contacted or informed when this step is done, by role (for the archive note).
    contacted: str | None = None

    _slug = field_validator("id")(_check_slug)


class Attendee(Strict):
    """Someone who takes part in the follow-up meeting."""

    # Who takes part: «Eleven», «Foresatte»
    label: str = Field(min_length=1)
    audience: Audience = "all"


class Meeting(Strict):
    """The follow-up meeting of a procedure."""

    called_by: Slug  # a role id
    text: str = Field(min_length=1)  # the plan's sentence about who calls and who attends
    attendees: list[Attendee] = Field(min_length=1)
    # The line above the agenda
    agenda_intro: str = Field(default_factory=lambda: default_agenda_intro())
    # What the meeting goes through, one item a line
    agenda: list[str] = Field(min_length=1)
    minutes_by: Slug  # a role id


class Procedure(Strict):
    """One of the plan's procedures ("Hva gjør vi?"), urgent or not, possibly the child of another."""

    # The procedure's id, part of its address: /hva-gjor-vi/<id>
    id: Slug
    label: str = Field(min_length=1)  # "Alternativ 1", "Rutine A"
    title: str = Field(min_length=1)  # as in the plan
    short: str = Field(min_length=1)  # a few plain words for buttons
    urgent: bool = False  # in Akutt, may be alerted, the call chain first
    # The id of the procedure this one is a branch of (2A and 2B under 2)
    parent: Slug | None = None
    intro: str | None = None  # a lead sentence such as "Rektor/ledelse sørger for at:"
    steps: list[Step] = Field(default_factory=list)
    after_steps: str | None = None  # a sentence that follows the steps
    meeting: Meeting | None = None
    services: list[Slug] = Field(default_factory=list)  # service numbers shown with it (contacts.yaml)

    _slug = field_validator("id")(_check_slug)

    def children(self, plan: Plan) -> list[Procedure]:
        """Return the procedures whose parent this is, in content order."""
        return [p for p in plan.procedures() if p.parent == self.id]


class Procedures(Strict):
    """All procedures (procedures.yaml)."""

    title: str = Field(min_length=1)  # "Hva gjør vi?"
    procedures: list[Procedure] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids_unique_and_parents_known(self) -> Procedures:
        ids = [p.id for p in self.procedures]
        _unique(ids, _l("hver fremgangsmåte må ha en unik id"))
        for procedure in self.procedures:
            name = f"«{procedure.label}»"
            if procedure.parent and procedure.parent not in ids:
                raise ValueError(
                    _(
                        "%(procedure)s hører til (parent) «%(parent)s», som ikke finnes",
                        procedure=name,
                        parent=procedure.parent,
                    )
                )
            if procedure.parent == procedure.id:
                raise ValueError(_("%(procedure)s kan ikke høre til seg selv (parent)", procedure=name))
            _unique(
                [s.id for s in procedure.steps],
                _l("stegene i %(procedure)s må ha unike id-er", procedure=name),
            )
        return self


def normalise_phone(value: str) -> str:
    """Return a number in E.164, or a Norwegian short number (02800, 113, legevakt's 116 117) as it is."""
    raw = re.sub(r"[\s.-]", "", str(value))
    if re.fullmatch(r"0\d{4}|1\d{2}|116\d{3}", raw):
        return raw
    try:
        parsed = phonenumbers.parse(raw, "NO")
    except phonenumbers.NumberParseException as error:
        raise ValueError(_("«%(number)s» er ikke et gyldig nummer", number=value)) from error
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(_("«%(number)s» er ikke et gyldig nummer", number=value))
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class Contact(Strict):
    """A person in the plan's contact list."""

    # The person's id: the name in small letters with hyphens, æ→ae, ø→o, å→a
    id: Slug
    # The person's name as printed
    name: str = Field(min_length=1)
    role: str = Field(min_length=1)  # the person's title as printed: "Rektor"
    phone: str
    drug_responsible: bool = False  # "Spesielt ansvar for oppfølging av rusrelaterte saker"
    roles: list[Slug] = Field(default_factory=list)  # role ids from roles.yaml

    _slug = field_validator("id")(_check_slug)
    _phone = field_validator("phone")(normalise_phone)


class ContactGroup(Strict):
    """A heading in the contact list, as in the plan."""

    # The group's id
    id: Slug
    # The group's heading, as in the plan
    title: str = Field(min_length=1)
    contacts: list[Contact] = Field(min_length=1)

    _slug = field_validator("id")(_check_slug)


class ServiceNumber(Strict):
    """A number that is not a person (police, barnevernvakt, legevakt) and when to use it."""

    # How procedures name this number (services: [politi])
    id: Slug
    # The service's name: «Politiet», «Legevakta»
    label: str = Field(min_length=1)
    # When to use the number, shown beside it
    description: str = Field(min_length=1)
    phone: str

    _slug = field_validator("id")(_check_slug)
    _phone = field_validator("phone")(normalise_phone)


class Contacts(Strict):
    """The contact list and the service numbers (contacts.yaml)."""

    # The heading of the contact list
    title: str = Field(min_length=1)
    groups: list[ContactGroup] = Field(min_length=1)
    services: list[ServiceNumber] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ids_unique(self) -> Contacts:
        ids = [c.id for g in self.groups for c in g.contacts]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(
                _("hver kontakt må ha en unik id («%(ids)s» står mer enn én gang)", ids="», «".join(twice))
            )
        _unique([s.id for s in self.services], _l("hvert nummer under services må ha en unik id"))
        return self


class Link(Strict):
    """A link as the plan shows it."""

    # The link's text
    title: str = Field(min_length=1)
    # The link's address, as in the plan
    url: str = Field(pattern=r"^https://")


class Law(Strict):
    """A law or regulation with the section the plan names."""

    name: str = Field(min_length=1)  # "Forvaltningsloven § 13"
    links: list[Link] = Field(min_length=1)


class Links(Strict):
    """Laws and useful links (links.yaml)."""

    laws: list[Law] = Field(min_length=1)
    useful: list[Link] = Field(min_length=1)


class PreventionList(Strict):
    """One list of preventive measures under its heading."""

    # The list's heading
    title: str = Field(min_length=1)
    # The measures, one a line
    items: list[str] = Field(min_length=1)


class Prevention(Strict):
    """Preventive measures (prevention.yaml); the prose is a section."""

    lists: list[PreventionList] = Field(min_length=1)


class Activity(Strict):
    """One preventive activity in a month of the annual wheel, with the role responsible."""

    # What is done that month
    text: str = Field(min_length=1)
    responsible: Slug  # a role id


class Month(Strict):
    """A month of the annual wheel and its activities."""

    month: int = Field(ge=1, le=12)
    activities: list[Activity] = Field(min_length=1)


class AnnualWheel(Strict):
    """The school year as preventive activities by month («årshjul»; annual_wheel.yaml, optional)."""

    # The page's heading
    title: str = Field(min_length=1)
    # A lead paragraph above the months
    intro: str | None = None
    months: list[Month] = Field(min_length=1)

    @model_validator(mode="after")
    def _months_once(self) -> AnnualWheel:
        _unique([m.month for m in self.months], _l("hver måned kan bare stå én gang"))
        return self


class Section(Strict):
    """A prose section: title in sections.yaml, Markdown in sections/<slug>.md (and <slug>.en.md)."""

    # The file name without .md (sections/<slug>.md)
    slug: Slug
    # The title, from sections.yaml
    title: str = Field(min_length=1)
    page_title: str | None = None  # the page's heading under «Om planen» when not the title
    procedure: Slug | None = None  # a procedure the page links to at its end (the student page)
    body: str = Field(min_length=1)  # Markdown source
    body_en: str | None = None  # an English version, shown when the UI is English

    _slug = field_validator("slug")(_check_slug)


class SectionEntry(Strict):
    """One line of sections.yaml: a section's slug and title, in the order shown."""

    # The section's file name without .md, and part of its address
    slug: Slug
    # The section's title
    title: str = Field(min_length=1)
    page_title: str | None = None  # the page's heading under «Om planen» when not the title
    procedure: Slug | None = None  # a procedure the page links to at its end (the student page)

    _slug = field_validator("slug")(_check_slug)


class SectionList(Strict):
    """The prose sections in order (sections.yaml)."""

    sections: list[SectionEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _slugs_unique_and_required(self) -> SectionList:
        slugs = [s.slug for s in self.sections]
        _unique(slugs, _l("hver tekstdel må ha et unikt filnavn (slug)"))
        missing = [slug for slug in REQUIRED_SECTIONS if slug not in slugs]
        if missing:
            raise ValueError(_("mangler tekstdel(er): %(slugs)s", slugs=", ".join(missing)))
        return self


STATEMENTS_EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$"


class Statements(Strict):
    """Who answers for the accessibility and privacy statements (statements.yaml; not from the plan)."""

    owner: str = Field(min_length=1)  # the school owner, data controller: "Østfold fylkeskommune"
    feedback_contact: Slug  # id of the person in contacts.yaml who takes feedback
    # The school's e-mail address for feedback on the statements
    email: str | None = Field(default=None, pattern=STATEMENTS_EMAIL_PATTERN)
    # When the accessibility statement was last reviewed
    accessibility_reviewed: date
    # When the privacy statement was last reviewed
    privacy_reviewed: date


# The two statements every Norwegian public body publishes; a school's other sections are its own.
REQUIRED_SECTIONS = ("tilgjengelighet", "personvern")
# The section the student page (/finn-hjelp) shows, when the school has one.
STUDENT_SECTION = "finn-hjelp"
# The section after which the lists of preventive measures are shown, when the school has one.
PREVENTION_SECTION = "forebygging"
# Sections with a page of their own; the others are the plan's prose under «Om planen» and on paper.
OWN_PAGE_SECTIONS = (STUDENT_SECTION, *REQUIRED_SECTIONS)


def _unique(values: list, message: Any) -> None:
    """Refuse values that stand twice; `message` is lazy, so the rule is translated only when broken."""
    twice = sorted({str(v) for v in values if values.count(v) > 1})
    if twice:
        raise ValueError(_("%(rule)s («%(ids)s» står mer enn én gang)", rule=message, ids="», «".join(twice)))


@dataclass(frozen=True)
class Reference:
    """A reference from one content file to another that does not hold: where it is and what is wrong."""

    file: str  # "procedures.yaml"
    loc: tuple[str | int, ...]  # the path in that file's YAML, to find the line
    field: str  # in the school's words: "«Alternativ 1», steg «ta-videre»: rolle (role)"
    problem: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field} {self.problem}"


def reference_problems(
    *,
    roles: list[Role],
    contacts: Contacts,
    procedures: Procedures,
    statements: Statements,
    annual_wheel: AnnualWheel | None,
    sections: list[Section] | list[SectionEntry] = (),
) -> list[Reference]:
    """Check what one file names in another: roles, service numbers, the call chain, the feedback contact."""
    role_ids = {r.id for r in roles}
    chain_roles = {r.id for r in roles if r.call_chain}
    service_ids = {s.id for s in contacts.services}

    def unknown_role(role: str) -> str:
        return _("«%(role)s» er ingen rolle i roles.yaml", role=role)

    found: list[Reference] = []
    for p_index, procedure in enumerate(procedures.procedures):
        where = f"«{procedure.label}»"
        for s_index, step in enumerate(procedure.steps):
            if step.role not in role_ids:
                loc = ("procedures", p_index, "steps", s_index, "role")
                field = _("%(procedure)s, steg «%(step)s»: rolle (role)", procedure=where, step=step.id)
                found.append(Reference("procedures.yaml", loc, field, unknown_role(step.role)))
        if procedure.meeting is not None:
            for key, words in (
                ("called_by", _l("%(procedure)s, oppfølgingsmøtet: hvem som kaller inn (called_by)")),
                ("minutes_by", _l("%(procedure)s, oppfølgingsmøtet: hvem som skriver referat (minutes_by)")),
            ):
                value = getattr(procedure.meeting, key)
                if value not in role_ids:
                    loc = ("procedures", p_index, "meeting", key)
                    field = words % {"procedure": where}
                    found.append(Reference("procedures.yaml", loc, field, unknown_role(value)))
        for v_index, service in enumerate(procedure.services):
            if service not in service_ids:
                loc = ("procedures", p_index, "services", v_index)
                found.append(
                    Reference(
                        "procedures.yaml",
                        loc,
                        _("%(procedure)s: nummer (services)", procedure=where),
                        _("«%(service)s» er ikke et nummer under services i contacts.yaml", service=service),
                    )
                )
    for g_index, group in enumerate(contacts.groups):
        for c_index, contact in enumerate(group.contacts):
            for r_index, role in enumerate(contact.roles):
                if role not in role_ids:
                    loc = ("groups", g_index, "contacts", c_index, "roles", r_index)
                    field = _(
                        "gruppen «%(group)s», kontakt nr. %(n)s (%(name)s): roller (roles)",
                        group=group.title,
                        n=c_index + 1,
                        name=contact.name,
                    )
                    found.append(Reference("contacts.yaml", loc, field, unknown_role(role)))
    has_chain = any(set(c.roles) & chain_roles for g in contacts.groups for c in g.contacts)
    if not has_chain:
        for p_index, procedure in enumerate(procedures.procedures):
            if procedure.urgent:
                found.append(
                    Reference(
                        "procedures.yaml",
                        ("procedures", p_index, "urgent"),
                        _("«%(procedure)s»: akutt (urgent)", procedure=procedure.label),
                        _(
                            "krever en ringeliste, men ingen kontakt i contacts.yaml har en rolle med "
                            "call_chain: true i roles.yaml"
                        ),
                    )
                )
    if annual_wheel is not None:
        for m_index, month in enumerate(annual_wheel.months):
            for a_index, activity in enumerate(month.activities):
                if activity.responsible not in role_ids:
                    loc = ("months", m_index, "activities", a_index, "responsible")
                    field = _(
                        "måned %(month)s, aktivitet nr. %(n)s: ansvarlig (responsible)",
                        month=month.month,
                        n=a_index + 1,
                    )
                    found.append(
                        Reference("annual_wheel.yaml", loc, field, unknown_role(activity.responsible))
                    )
    procedure_ids = {p.id for p in procedures.procedures}
    for index, section in enumerate(sections):
        if section.procedure and section.procedure not in procedure_ids:
            found.append(
                Reference(
                    "sections.yaml",
                    ("sections", index, "procedure"),
                    _("tekstdelen «%(section)s»: fremgangsmåte (procedure)", section=section.title),
                    _(
                        "«%(procedure)s» er ingen fremgangsmåte i procedures.yaml",
                        procedure=section.procedure,
                    ),
                )
            )
    wanted = statements.feedback_contact
    if not any(c.id == wanted for g in contacts.groups for c in g.contacts):
        found.append(
            Reference(
                "statements.yaml",
                ("feedback_contact",),
                _("den som tar imot tilbakemeldinger (feedback_contact)"),
                _(
                    "«%(contact)s» er ingen kontakt i contacts.yaml (bruk id-en til en person der)",
                    contact=wanted,
                ),
            )
        )
    return found


class Plan(Strict):
    """The whole plan of one school: what a revision stores."""

    meta: Meta
    roles: list[Role] = Field(min_length=1)
    checklist_list: Checklists
    procedure_list: Procedures
    contacts: Contacts
    links: Links
    prevention: Prevention
    annual_wheel: AnnualWheel | None = None
    statements: Statements
    sections: list[Section]
    guide: Guide

    @model_validator(mode="after")
    def _guide_fits_the_procedures(self) -> Plan:
        problems = check_guide(self.guide, plan_procedures(self))
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @model_validator(mode="after")
    def _complete_and_consistent(self) -> Plan:
        have = [s.slug for s in self.sections]
        _unique(have, _l("hver tekstdel må ha et unikt filnavn (slug)"))
        missing = [slug for slug in REQUIRED_SECTIONS if slug not in have]
        if missing:
            raise ValueError(_("mangler tekstdel(er): %(slugs)s", slugs=", ".join(missing)))
        _unique([r.id for r in self.roles], _l("hver rolle må ha en unik id"))
        problems = reference_problems(
            roles=self.roles,
            contacts=self.contacts,
            procedures=self.procedure_list,
            statements=self.statements,
            annual_wheel=self.annual_wheel,
            sections=self.sections,
        )
        if problems:
            raise ValueError("; ".join(str(p) for p in problems))
        return self

    # ---- roles
    def role(self, role_id: str) -> Role | None:
        """Return the role with this id, or None."""
        return next((r for r in self.roles if r.id == role_id), None)

    def role_label(self, role_id: str) -> str:
        """Return a role's label (the id itself for an unknown role, which validation never lets in)."""
        found = self.role(role_id)
        return found.label if found else role_id

    # ---- procedures
    def procedures(self) -> list[Procedure]:
        """Return every procedure in content order."""
        return list(self.procedure_list.procedures)

    def procedure(self, procedure_id: str) -> Procedure | None:
        """Return the procedure with this id, or None."""
        return next((p for p in self.procedure_list.procedures if p.id == procedure_id), None)

    def urgent_procedures(self) -> list[Procedure]:
        """Return the urgent procedures (Akutt, alerts) in content order."""
        return [p for p in self.procedure_list.procedures if p.urgent]

    # ---- contacts and numbers
    def all_contacts(self) -> list[Contact]:
        """Return every person in the contact list, in the plan's order."""
        return [c for g in self.contacts.groups for c in g.contacts]

    def call_chain(self) -> list[Contact]:
        """Return who to call in an urgent procedure: contacts with a call-chain role, in list order."""
        chain_roles = {r.id for r in self.roles if r.call_chain}
        return [c for c in self.all_contacts() if set(c.roles) & chain_roles]

    def services(self) -> list[ServiceNumber]:
        """Return the service numbers (police, barnevernvakt, ...) in content order."""
        return list(self.contacts.services)

    def service(self, service_id: str) -> ServiceNumber | None:
        """Return the service number with this id, or None."""
        return next((s for s in self.contacts.services if s.id == service_id), None)

    def procedure_services(self, procedure: Procedure) -> list[ServiceNumber]:
        """Return the service numbers shown with a procedure, in the procedure's order."""
        return [s for s in (self.service(i) for i in procedure.services) if s is not None]

    def feedback_contact(self) -> Contact:
        """Return the person who takes feedback on the statements."""
        return next(c for c in self.all_contacts() if c.id == self.statements.feedback_contact)

    # ---- the rest
    def checklists(self) -> list[Checklist]:
        """Return the checklists in content order."""
        return list(self.checklist_list.checklists)

    def section(self, slug: str) -> Section | None:
        """Return the prose section with this slug, or None."""
        return next((s for s in self.sections if s.slug == slug), None)

    def student_section(self) -> Section | None:
        """Return the student page's section (/finn-hjelp), or None when the school has none."""
        return self.section(STUDENT_SECTION)

    def plan_sections(self) -> list[Section]:
        """Return the plan's prose sections (not the student page or the statements), in order."""
        return [s for s in self.sections if s.slug not in OWN_PAGE_SECTIONS]

    def prevention_section(self) -> Section | None:
        """Return the section the preventive measures follow: the prevention section, or the last one."""
        sections = self.plan_sections()
        found = next((s for s in sections if s.slug == PREVENTION_SECTION), None)
        return found or (sections[-1] if sections else None)

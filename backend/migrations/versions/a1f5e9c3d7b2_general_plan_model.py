"""stored plans in the general plan model (issue 14): roles, procedures, services, checklists, sections

Revision ID: a1f5e9c3d7b2
Revises: c9d4e2f6a8b1
Create Date: 2026-12-02 10:25:00

Every PlanRevision's and the PlanDraft's `data` (a Plan.model_dump) is rewritten from the shape the
app had before issue 14 into the general model, so the public pages read the same text after the
upgrade. The conversion is frozen here, in plain dicts: it must keep working when the app's schema
moves on, and the app never imports it. What the old shape left to the code is written out as content:
the six actor roles (leadership is the call chain), «Elements» as the archive system, the police
number shown with alternative 4, the information pages' headings and the student page's link to
alternative 1. The draft's per-field authors follow their fields to the new paths.
"""

import copy
import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "a1f5e9c3d7b2"
down_revision = "c9d4e2f6a8b1"
branch_labels = None
depends_on = None

# What the code before issue 14 held for every school (schema.ACTOR_LABELS, routes.common.INFO_PAGES,
# the templates), frozen.
OLD_ROLES = [
    {"id": "mottaker", "label": "Den som mottar henvendelsen", "call_chain": False},
    {"id": "deg", "label": "Du som er bekymret", "call_chain": False},
    {"id": "kontaktlaerer", "label": "Kontaktlærer", "call_chain": False},
    {"id": "miljoveileder", "label": "Miljøveileder", "call_chain": False},
    {"id": "ledelse", "label": "Rektor/ledelse", "call_chain": True},
    {"id": "elevtjenesten", "label": "Elevtjenesten", "call_chain": False},
]
OLD_ARCHIVE = {
    "name": "Elements",
    "note_title": "Notat til Elements",
    "note_hint": "Referatet skal føres i Elements.",
}
OLD_PAGE_TITLES = {
    "innledning": "Innledning og mål",
    "forebygging": "Forebyggende tiltak",
    "taushetsplikt": "Taushetsplikt og opplysningsplikt",
    "dokumentasjon": "Dokumentasjon",
}
POLICE_ID = "politi"
POLICE_PROCEDURE = "alternativ-4"  # the old templates showed the police number with this one
STUDENT_PROCEDURE = "alternativ-1"  # the old student page linked here
CHECKLIST_ID = "sjekkliste"


# The guided questions the old code asked for every plan (services/guide.py before issue 14, the same
# questions as content/halden-vgs/guide.yaml): a stored plan of the old shape gets them as content.
OLD_GUIDE = {
    "start": "ruset",
    "questions": [
        {
            "id": "ruset",
            "text": "Er eleven ruset på skolen nå?",
            "help": "Alternativ 3 i planen: eleven opptrer ruset på skolen.",
            "answers": [
                {"label": "Ja, eleven er ruset nå", "procedure": "alternativ-3"},
                {"label": "Nei", "next": "salg"},
            ],
        },
        {
            "id": "salg",
            "text": "Gjelder det salg eller oppbevaring av rusmidler på skolen?",
            "help": "Alternativ 4 i planen: bekymring for omsetning/oppbevaring av rusmidler på "
            "skolen. Det er nok at du er bekymret.",
            "answers": [
                {"label": "Ja, salg eller oppbevaring", "procedure": "alternativ-4"},
                {"label": "Nei", "next": "hjelp"},
            ],
        },
        {
            "id": "hjelp",
            "text": "Har eleven selv bedt om hjelp med et rusproblem?",
            "help": "Alternativ 1 i planen: eleven ber om hjelp med sitt rusproblem.",
            "answers": [
                {"label": "Ja, eleven ber om hjelp", "procedure": "alternativ-1"},
                {"label": "Nei, det er noen andre som er bekymret", "next": "samtale"},
            ],
        },
        {
            "id": "samtale",
            "text": "Har eleven innrømmet bruk av rusmidler etter samtalen?",
            "help": "Alternativ 2 i planen: når noen er bekymret, snakker dere først med eleven om "
            "bekymringen.",
            "answers": [
                {"label": "Vi har ikke snakket med eleven ennå", "procedure": "alternativ-2"},
                {"label": "Ja, eleven har innrømmet bruk", "procedure": "alternativ-2a"},
                {"label": "Nei, eleven benekter bruk", "procedure": "alternativ-2b"},
            ],
        },
    ],
}


def _without_none(value):
    """Return value with None-valued keys left out at every level (a stored plan writes them out)."""
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def _stored_guide(guide):
    """Return the guide as a stored plan writes it (every optional field present, None when unset)."""
    return {
        "start": guide["start"],
        "questions": [
            {
                "id": q["id"],
                "text": q["text"],
                "help": q.get("help"),
                "answers": [
                    {"label": a["label"], "next": a.get("next"), "procedure": a.get("procedure")}
                    for a in q["answers"]
                ],
            }
            for q in guide["questions"]
        ],
    }


def is_old_shape(data):
    """Tell old-shape plan data (alternatives, one checklist, one police number) from the new one."""
    return isinstance(data, dict) and "alternatives" in data and "procedure_list" not in data


def convert(old):
    """Return plan data of the general model for plan data of the old shape (which is left unchanged)."""
    old = copy.deepcopy(old)
    meta = dict(old["meta"])
    new_meta = {key: meta[key] for key in ("school", "school_short", "title", "school_year")}
    new_meta["language"] = "nb"
    new_meta["archive"] = dict(OLD_ARCHIVE)
    new_meta.update({key: meta[key] for key in ("scope", "goals", "evaluation")})

    procedures = []
    ids = [a["id"] for a in old["alternatives"]["alternatives"]]
    for alternative in old["alternatives"]["alternatives"]:
        steps = []
        for step in alternative.get("steps", []):
            step = dict(step)
            step["role"] = step.pop("actor")
            steps.append(
                {
                    key: step.get(key)
                    for key in ("id", "text", "role", "audience", "heading", "derived_from", "contacted")
                }
            )
            steps[-1]["audience"] = step.get("audience", "all")
        meeting = alternative.get("meeting")
        if meeting is not None:
            meeting = dict(meeting)
            meeting.setdefault("agenda_intro", "I møtet skal følgende skje:")
            meeting.setdefault("minutes_by", "miljoveileder")
        procedures.append(
            {
                "id": alternative["id"],
                "label": alternative["label"],
                "title": alternative["title"],
                "short": alternative["short"],
                "urgent": bool(alternative.get("emergency", False)),
                "parent": alternative.get("parent"),
                "intro": alternative.get("intro"),
                "steps": steps,
                "after_steps": alternative.get("after_steps"),
                "meeting": meeting,
                "services": [POLICE_ID] if alternative["id"] == POLICE_PROCEDURE else [],
            }
        )

    groups = []
    for group in old["contacts"]["groups"]:
        contacts = []
        for contact in group["contacts"]:
            contacts.append(
                {
                    "id": contact["id"],
                    "name": contact["name"],
                    "role": contact["role"],
                    "phone": contact["phone"],
                    "drug_responsible": bool(contact.get("drug_responsible", False)),
                    "roles": ["ledelse"] if contact.get("leadership") else [],
                }
            )
        groups.append({"id": group["id"], "title": group["title"], "contacts": contacts})
    police = old["contacts"]["police"]
    services = [
        {
            "id": POLICE_ID,
            "label": police["label"],
            "description": police["description"],
            "phone": police["phone"],
        }
    ]

    prevention = old["prevention"]
    sections = []
    for section in old["sections"]:
        page_title = OLD_PAGE_TITLES.get(section["slug"])
        sections.append(
            {
                "slug": section["slug"],
                "title": section["title"],
                "page_title": page_title if page_title and page_title != section["title"] else None,
                "procedure": STUDENT_PROCEDURE
                if section["slug"] == "finn-hjelp" and STUDENT_PROCEDURE in ids
                else None,
                "body": section["body"],
                "body_en": None,
            }
        )

    checklist = old["checklist"]
    return {
        "meta": new_meta,
        "roles": copy.deepcopy(OLD_ROLES),
        "checklist_list": {
            "checklists": [
                {
                    "id": CHECKLIST_ID,
                    "title": checklist["title"],
                    "quote": checklist["quote"],
                    "signs": checklist["signs"],
                }
            ]
        },
        "procedure_list": {"title": old["alternatives"]["title"], "procedures": procedures},
        "contacts": {"title": old["contacts"]["title"], "groups": groups, "services": services},
        "links": old["links"],
        "prevention": {
            "lists": [
                {"title": prevention["classes_title"], "items": prevention["classes"]},
                {"title": prevention["environment_title"], "items": prevention["environment"]},
            ]
        },
        "annual_wheel": None,
        "guide": _stored_guide(OLD_GUIDE),
        "statements": old["statements"],
        "sections": sections,
    }


def convert_path(key):
    """Return the draft's path key of a field (diff.path_key) in the new model."""
    parts = key.split("/")
    head, rest = parts[0], parts[1:]
    if head == "alternatives":
        if rest[:1] == ["alternatives"]:
            rest = ["procedures", *rest[1:]]
        rest = ["role" if p == "actor" else "urgent" if p == "emergency" else p for p in rest]
        return "/".join(["procedure_list", *rest])
    if head == "checklist":
        return "/".join(["checklist_list", "checklists", f"id={CHECKLIST_ID}", *rest])
    if head == "contacts":
        if rest[:1] == ["police"]:
            rest = ["services", f"id={POLICE_ID}", *rest[1:]]
        rest = ["roles" if p == "leadership" else p for p in rest]
        return "/".join(["contacts", *rest])
    if head == "prevention" and rest:
        field, *tail = rest
        index = "#0" if field.startswith("classes") else "#1"
        leaf = "title" if field.endswith("_title") else "items"
        return "/".join(["prevention", "lists", index, leaf, *tail])
    return key


def content_hash(data):
    """The hash the app keeps per revision (services.plan.content_hash), of the rewritten data."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def upgrade():
    bind = op.get_bind()
    revisions = sa.table(
        "plan_revision", sa.column("id", sa.Integer), sa.column("data", sa.JSON), sa.column("content_hash")
    )
    drafts = sa.table(
        "plan_draft",
        sa.column("id", sa.Integer),
        sa.column("data", sa.JSON),
        sa.column("change_authors", sa.JSON),
    )
    for row in bind.execute(sa.select(revisions.c.id, revisions.c.data)).all():
        if is_old_shape(row.data):
            data = convert(row.data)
            bind.execute(
                revisions.update()
                .where(revisions.c.id == row.id)
                .values(data=data, content_hash=content_hash(data))
            )
    for row in bind.execute(sa.select(drafts.c.id, drafts.c.data, drafts.c.change_authors)).all():
        if is_old_shape(row.data):
            authors = {convert_path(key): who for key, who in (row.change_authors or {}).items()}
            bind.execute(
                drafts.update()
                .where(drafts.c.id == row.id)
                .values(data=convert(row.data), change_authors=authors or row.change_authors)
            )


def convert_back(new):
    """Return old-shape plan data for data of the general model; raise when that would lose facts."""
    new = copy.deepcopy(new)
    old_roles = {r["id"] for r in OLD_ROLES}
    lost = []
    if any(r["id"] not in old_roles for r in new["roles"]):
        lost.append("andre roller enn de seks faste")
    if len(new["checklist_list"]["checklists"]) != 1:
        lost.append("flere sjekklister")
    if len(new["prevention"]["lists"]) != 2:
        lost.append("et annet antall lister med forebyggende tiltak enn to")
    if new.get("annual_wheel"):
        lost.append("et årshjul")
    if _without_none(new.get("guide", OLD_GUIDE)) != OLD_GUIDE:
        lost.append("egne veiledende spørsmål")
    services = new["contacts"]["services"]
    police = next((s for s in services if s["id"] == POLICE_ID), services[0] if services else None)
    if police is None or len(services) > 1:
        lost.append("andre numre enn politiets")
    if lost:
        raise RuntimeError(
            "Planen kan ikke gjøres om til den gamle formen uten å miste innhold ("
            + ", ".join(lost)
            + "); bruk en sikkerhetskopi fra før oppgraderingen."
        )
    meta = {k: v for k, v in new["meta"].items() if k not in ("language", "archive")}
    alternatives = []
    for procedure in new["procedure_list"]["procedures"]:
        alternative = {k: v for k, v in procedure.items() if k not in ("urgent", "services")}
        alternative["emergency"] = procedure["urgent"]
        alternative["steps"] = [
            {("actor" if k == "role" else k): v for k, v in step.items()} for step in procedure["steps"]
        ]
        alternatives.append(alternative)
    groups = [
        {
            **group,
            "contacts": [
                {
                    **{k: v for k, v in contact.items() if k != "roles"},
                    "leadership": "ledelse" in contact.get("roles", []),
                }
                for contact in group["contacts"]
            ],
        }
        for group in new["contacts"]["groups"]
    ]
    checklist = {k: v for k, v in new["checklist_list"]["checklists"][0].items() if k != "id"}
    classes, environment = new["prevention"]["lists"]
    return {
        "meta": meta,
        "checklist": checklist,
        "alternatives": {"title": new["procedure_list"]["title"], "alternatives": alternatives},
        "contacts": {
            "title": new["contacts"]["title"],
            "groups": groups,
            "police": {k: v for k, v in police.items() if k != "id"},
        },
        "links": new["links"],
        "prevention": {
            "classes_title": classes["title"],
            "classes": classes["items"],
            "environment_title": environment["title"],
            "environment": environment["items"],
        },
        "statements": new["statements"],
        "sections": [{"slug": s["slug"], "title": s["title"], "body": s["body"]} for s in new["sections"]],
    }


def downgrade():
    # Back to the old shape where it holds the plan; a plan that uses what only the general model has
    # (other roles, several checklists or numbers, an annual wheel) stops the downgrade with a reason.
    bind = op.get_bind()
    revisions = sa.table(
        "plan_revision", sa.column("id", sa.Integer), sa.column("data", sa.JSON), sa.column("content_hash")
    )
    drafts = sa.table("plan_draft", sa.column("id", sa.Integer), sa.column("data", sa.JSON))
    for row in bind.execute(sa.select(revisions.c.id, revisions.c.data)).all():
        if not is_old_shape(row.data):
            data = convert_back(row.data)
            bind.execute(
                revisions.update()
                .where(revisions.c.id == row.id)
                .values(data=data, content_hash=content_hash(data))
            )
    for row in bind.execute(sa.select(drafts.c.id, drafts.c.data)).all():
        if not is_old_shape(row.data):
            bind.execute(drafts.update().where(drafts.c.id == row.id).values(data=convert_back(row.data)))

"""Edits of the plan's procedures beyond their texts and steps: add one, set its parent, remove one.

A new procedure must be reachable in the guided questions from the start, or the plan is invalid; so it
is added together with the answer that leads to it (or under a parent, which counts as reached). A
procedure that the guided questions or other procedures still point to is not removed: the refusal
names what points to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from backend.services.draft import DraftError
from backend.services.plan_edit import check_fingerprint, find_alternative, slugify


@dataclass(frozen=True)
class Removal:
    """What removing a procedure takes with it, and what stops it (the confirmation page shows both)."""

    steps: list[str] = field(default_factory=list)
    meeting: bool = False
    blockers: list[str] = field(default_factory=list)


def procedures(data: dict) -> list[dict]:
    """Return the procedures of plan data in content order."""
    return data["procedure_list"]["procedures"]


def answers_to(data: dict, *, question: str | None = None, procedure: str | None = None) -> list[str]:
    """Return the guided answers that lead to a question or a procedure, as «question»: «answer»."""
    found = []
    for asked in data["guide"]["questions"]:
        for answer in asked["answers"]:
            if (question and answer.get("next") == question) or (
                procedure and answer.get("procedure") == procedure
            ):
                found.append(
                    _("«%(question)s», svaret «%(answer)s»", question=asked["text"], answer=answer["label"])
                )
    return found


def check_parent(data: dict, procedure_id: str | None, parent: str | None) -> None:
    """Refuse a parent that does not exist or that would put a procedure under itself."""
    if not parent:
        return
    ids = {p["id"]: p for p in procedures(data)}
    if parent not in ids:
        raise DraftError(_("Fant ikke alternativet det skal høre under."))
    seen, current = set(), parent
    while current:
        if current == procedure_id:
            raise DraftError(
                _("Et alternativ kan ikke høre under seg selv eller et av sine egne underalternativer.")
            )
        if current in seen:
            break
        seen.add(current)
        current = ids.get(current, {}).get("parent")


def new_procedure(data: dict, fields: dict, *, question: str | None = None, answer_label: str = "") -> str:
    """Add a procedure at the end, with an answer in `question` that leads to it; return its id.

    The answer goes first in its question when the procedure is urgent (urgent answers come first), else
    last. Without a question the procedure must have a parent, which makes it reachable.
    """
    check_parent(data, None, fields.get("parent"))
    taken = {p["id"] for p in procedures(data)} | {"ny"}  # /alternativer/ny is the add page
    procedure = {"id": slugify(fields["label"], taken, "alternativ"), "steps": [], "services": [], **fields}
    procedures(data).append(procedure)
    if question:
        asked = next((q for q in data["guide"]["questions"] if q["id"] == question), None)
        if asked is None:
            raise DraftError(_("Fant ikke spørsmålet svaret skal stå i."))
        answer = {"label": answer_label, "procedure": procedure["id"]}
        if fields.get("urgent"):
            asked["answers"].insert(0, answer)
        else:
            asked["answers"].append(answer)
    elif not fields.get("parent"):
        raise DraftError(
            _("Velg et spørsmål og skriv svaret som leder hit, eller velg et alternativ det hører under.")
        )
    return procedure["id"]


def save_procedure(data: dict, procedure_id: str, fields: dict, *, expected: str | None) -> None:
    """Change a procedure's own fields (not its steps); the meeting's texts are merged into its meeting."""
    procedure = find_alternative(data, procedure_id)
    check_fingerprint({k: v for k, v in procedure.items() if k != "steps"}, expected)
    check_parent(data, procedure_id, fields.get("parent", procedure.get("parent")))
    meeting_fields = fields.pop("meeting", None)
    procedure.update(fields)
    if meeting_fields is not None:
        if procedure.get("meeting") is None:
            raise DraftError(_("Dette alternativet har ikke noe oppfølgingsmøte."))
        procedure["meeting"].update(meeting_fields)


def removal(data: dict, procedure_id: str) -> Removal:
    """Say what removing a procedure takes away, and what must change before it can go."""
    procedure = find_alternative(data, procedure_id)
    blockers = [
        _("%(label)s hører under dette alternativet", label=child["label"])
        for child in procedures(data)
        if child.get("parent") == procedure_id
    ]
    blockers += [
        _("Spørsmålet %(answer)s leder hit", answer=answer)
        for answer in answers_to(data, procedure=procedure_id)
    ]
    blockers += [
        _("Teksten «%(title)s» lenker hit", title=section["title"])
        for section in data["sections"]
        if section.get("procedure") == procedure_id
    ]
    if len(procedures(data)) == 1:
        blockers.append(_("Planen må ha minst ett alternativ."))
    return Removal(
        steps=[step["text"] for step in procedure["steps"]],
        meeting=procedure.get("meeting") is not None,
        blockers=blockers,
    )


def remove_procedure(data: dict, procedure_id: str, *, expected: str | None = None) -> None:
    """Remove a procedure with its steps and meeting, if nothing points to it any more."""
    procedure = find_alternative(data, procedure_id)
    check_fingerprint(procedure, expected)
    blockers = removal(data, procedure_id).blockers
    if blockers:
        raise DraftError(_("Alternativet kan ikke fjernes ennå: %(why)s.", why="; ".join(blockers)))
    procedures(data).remove(procedure)

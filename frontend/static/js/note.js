// Rusplan: the note for the school's archive system (its title and hint come from the plan), built in the
// browser from the ticks. Plain text, never sent anywhere.
// It holds only what the plan and the ticks say: no student's name, no free text.

import { DRILL_TEXT } from "./drill.js";

const AGE_LINES = {
  under_18: "Eleven er under 18 år.",
  over_18: "Eleven er 18 år eller eldre.",
  all: "Elevens alder er ikke valgt.",
};

/** Format an ISO time as «26.11.2026 kl. 14:05» in Norwegian. */
export function formatTime(iso) {
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return "";
  const date = when.toLocaleDateString("nb-NO", { day: "2-digit", month: "2-digit", year: "numeric" });
  const time = when.toLocaleTimeString("nb-NO", { hour: "2-digit", minute: "2-digit" });
  return `${date} kl. ${time}`;
}

/**
 * Build the note.
 * flow: { label, title, age, drill, now, archive: { noteTitle, noteHint }, steps: [{ text, actor, doneAt, contacted }],
 *         calls: [{ who, at }], meeting: null | { calledBy, attendees: [..], agendaIntro, agenda: [..] } }
 */
export function buildNote(flow) {
  const lines = [];
  lines.push(`${flow.archive.noteTitle.toUpperCase()} – ${flow.label}: ${flow.title}`);
  if (flow.drill) lines.push(DRILL_TEXT);
  lines.push(`Laget ${formatTime(flow.now)}.`);
  lines.push(AGE_LINES[flow.age] ?? AGE_LINES.all);
  lines.push("");

  const done = flow.steps.filter((step) => step.doneAt).sort((a, b) => a.doneAt.localeCompare(b.doneAt));
  const open = flow.steps.filter((step) => !step.doneAt);
  lines.push("Gjort:");
  if (done.length === 0) lines.push("- Ingen steg er krysset av ennå.");
  for (const step of done) lines.push(`- ${formatTime(step.doneAt)}: ${step.text} (${step.actor})`);
  lines.push("");
  if (open.length) {
    lines.push("Ikke krysset av:");
    for (const step of open) lines.push(`- ${step.text} (${step.actor})`);
    lines.push("");
  }

  const contacted = [
    ...done.filter((step) => step.contacted).map((step) => ({ who: step.contacted, at: step.doneAt })),
    ...flow.calls.map((call) => ({ who: `${call.who}, ringt fra Rusplan`, at: call.at })),
  ].sort((a, b) => a.at.localeCompare(b.at));
  lines.push("Kontaktet (rolle):");
  if (contacted.length === 0) lines.push("- Ingen registrert ennå.");
  for (const entry of contacted) lines.push(`- ${formatTime(entry.at)}: ${entry.who}`);

  if (flow.meeting) {
    const meeting = flow.meeting;
    lines.push("");
    lines.push(`Møtet kalles inn av: ${meeting.calledBy}`);
    lines.push(`Deltar: ${meeting.attendees.join(", ")}`);
    lines.push("");
    lines.push(`Dagsorden – ${meeting.agendaIntro}`);
    meeting.agenda.forEach((item, index) => {
      lines.push("");
      lines.push(`${index + 1}. ${item}`);
    });
  }
  lines.push("");
  lines.push(`${flow.archive.noteHint} Ikke skriv elevens navn eller andre opplysninger om eleven i Rusplan.`);
  return lines.join("\n");
}

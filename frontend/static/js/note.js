// Rusplan: the note for the school's archive system, built in the browser from the ticks. Plain text,
// never sent anywhere. It holds only what the plan and the ticks say: no student's name, no free text.
// Its title and hint come from the plan; its other words from the page (js/text.js), in the school's
// language also on an English page, since it is pasted into the school's own records.

import { noteLocale, t } from "./text.js";

const AGE_LINES = {
  under_18: "noteUnder18",
  over_18: "noteOver18",
  all: "noteAgeUnknown",
};

/** Format an ISO time as «26.11.2026 kl. 14:05» in the school's language. */
export function formatTime(iso) {
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return "";
  const date = when.toLocaleDateString(noteLocale(), { day: "2-digit", month: "2-digit", year: "numeric" });
  const time = when.toLocaleTimeString(noteLocale(), { hour: "2-digit", minute: "2-digit" });
  return t("noteAt", { date, time });
}

/**
 * Build the note.
 * flow: { label, title, age, drill, now, archive: { noteTitle, noteHint }, steps: [{ text, actor, doneAt, contacted }],
 *         calls: [{ who, at }], meeting: null | { calledBy, attendees: [..], agendaIntro, agenda: [..] } }
 */
export function buildNote(flow) {
  const lines = [];
  lines.push(`${flow.archive.noteTitle.toUpperCase()} – ${flow.label}: ${flow.title}`);
  if (flow.drill) lines.push(t("noteDrill"));
  lines.push(t("noteMade", { time: formatTime(flow.now) }));
  lines.push(t(AGE_LINES[flow.age] ?? AGE_LINES.all));
  lines.push("");

  const done = flow.steps.filter((step) => step.doneAt).sort((a, b) => a.doneAt.localeCompare(b.doneAt));
  const open = flow.steps.filter((step) => !step.doneAt);
  lines.push(t("noteDone"));
  if (done.length === 0) lines.push(`- ${t("noteNoneDone")}`);
  for (const step of done) lines.push(`- ${formatTime(step.doneAt)}: ${step.text} (${step.actor})`);
  lines.push("");
  if (open.length) {
    lines.push(t("noteOpen"));
    for (const step of open) lines.push(`- ${step.text} (${step.actor})`);
    lines.push("");
  }

  const contacted = [
    ...done.filter((step) => step.contacted).map((step) => ({ who: step.contacted, at: step.doneAt })),
    ...flow.calls.map((call) => ({ who: t("noteCalled", { who: call.who }), at: call.at })),
  ].sort((a, b) => a.at.localeCompare(b.at));
  lines.push(t("noteContacted"));
  if (contacted.length === 0) lines.push(`- ${t("noteNoneContacted")}`);
  for (const entry of contacted) lines.push(`- ${formatTime(entry.at)}: ${entry.who}`);

  if (flow.meeting) {
    const meeting = flow.meeting;
    lines.push("");
    lines.push(t("noteCalledBy", { who: meeting.calledBy }));
    lines.push(t("noteAttendees", { who: meeting.attendees.join(", ") }));
    lines.push("");
    lines.push(t("noteAgenda", { intro: meeting.agendaIntro }));
    meeting.agenda.forEach((item, index) => {
      lines.push("");
      lines.push(`${index + 1}. ${item}`);
    });
  }
  lines.push("");
  lines.push(`${flow.archive.noteHint} ${t("noteNoName")}`);
  return lines.join("\n");
}

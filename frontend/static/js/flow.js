// Rusplan: one alternative as a list to tick off. Progressive enhancement: without this module the
// page shows every step and number. Ticks (with ISO time), the age choice and call taps are kept in
// localStorage under "rusplan:flow:<alternative id>"; nothing about the case is sent to the server.

import { DRILL_EVENT, isDrill } from "./drill.js";
import { buildNote } from "./note.js";
import { read, remove, write } from "./store.js";
import { locale, t } from "./text.js";

const AGES = ["all", "under_18", "over_18"];

function storageKey(alternativeId) {
  return `flow:${alternativeId}`;
}

/** Read the stored state of one alternative, dropping anything malformed. */
export function loadState(alternativeId) {
  const raw = read(storageKey(alternativeId), {});
  const state = { ticks: {}, age: "all", calls: [] };
  if (raw && typeof raw === "object") {
    if (raw.ticks && typeof raw.ticks === "object") {
      for (const [step, at] of Object.entries(raw.ticks)) {
        if (typeof at === "string" && !Number.isNaN(Date.parse(at))) state.ticks[step] = at;
      }
    }
    if (AGES.includes(raw.age)) state.age = raw.age;
    if (Array.isArray(raw.calls)) {
      state.calls = raw.calls.filter((c) => c && typeof c.who === "string" && typeof c.at === "string");
    }
  }
  return state;
}

function applies(audience, age) {
  return !audience || audience === "all" || age === "all" || audience === age;
}

function stepTime(iso) {
  const when = new Date(iso);
  const time = when.toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" });
  const today = new Date().toDateString() === when.toDateString();
  const date = when.toLocaleDateString(locale(), { day: "numeric", month: "numeric", year: "numeric" });
  return today ? t("doneToday", { time }) : t("doneOn", { date, time });
}

/** Who a tel: link calls, by role: the role of a person, the name of a service or emergency number. */
function callee(link) {
  const role = link.querySelector(".call-role")?.textContent.trim();
  const name = link.querySelector(".call-name")?.textContent.trim();
  const number = link.querySelector(".call-number")?.textContent.trim();
  const isPerson = !link.matches(".call-service, .call-national");
  return isPerson ? role || t("contact") : `${name} ${number}`.trim();
}

/** Whether this page was opened by a link or typed address, not by Back/Forward or a reload. */
function freshNavigation() {
  const [entry] = performance.getEntriesByType("navigation");
  return entry?.type === "navigate";
}

function setup(root) {
  const id = root.dataset.flow;
  let state = loadState(id);
  const steps = [...root.querySelectorAll("[data-step-id]")];
  const save = () => write(storageKey(id), state);

  // A tap on a step's text before this module ran (a slow phone) has checked its hidden box: keep it
  // as a tick rather than let the first render() undo it. Only on a fresh navigation: after Back or a
  // reload the browser may restore the boxes of an earlier visit, which must not bring back ticks
  // cleared since (Nullstill); there the stored state wins, as before.
  if (freshNavigation()) {
    const tappedEarly = steps.filter(
      (step) => step.querySelector("[data-tick]").checked && !state.ticks[step.dataset.stepId],
    );
    for (const step of tappedEarly) state.ticks[step.dataset.stepId] = new Date().toISOString();
    if (tappedEarly.length) save();
  }

  root.classList.add("flow-ready");
  for (const element of root.querySelectorAll(
    "[data-tick], [data-age-switch], [data-flow-tools], [data-flow-only]",
  )) {
    element.hidden = false;
  }
  for (const element of root.querySelectorAll("[data-age-nojs]")) element.hidden = true;

  function collect() {
    const meetingElement = root.querySelector("[data-meeting]");
    const visible = (element) => applies(element.dataset.audience, state.age);
    return {
      label: root.dataset.flowLabel,
      title: root.dataset.flowTitle,
      archive: { noteTitle: root.dataset.archiveNoteTitle, noteHint: root.dataset.archiveNoteHint },
      age: state.age,
      drill: isDrill(),
      now: new Date().toISOString(),
      steps: steps.filter(visible).map((step) => ({
        text: step.querySelector(".step-text").textContent.trim(),
        actor: step.querySelector(".tag-actor").textContent.trim(),
        contacted: step.dataset.contacted || null,
        doneAt: state.ticks[step.dataset.stepId] || null,
      })),
      calls: state.calls,
      meeting: meetingElement
        ? {
            calledBy: meetingElement.dataset.calledBy,
            attendees: [...meetingElement.querySelectorAll("[data-attendee]")]
              .filter(visible)
              .map((person) => person.dataset.attendee),
            agendaIntro: meetingElement.querySelector("[data-agenda-intro]")?.textContent.trim() ?? "",
            agenda: [...meetingElement.querySelectorAll("[data-agenda-item]")].map((item) =>
              item.textContent.trim(),
            ),
          }
        : null,
    };
  }

  function render() {
    for (const step of steps) {
      const at = state.ticks[step.dataset.stepId];
      const box = step.querySelector("[data-tick]");
      const time = step.querySelector("[data-tick-time]");
      box.checked = Boolean(at);
      step.classList.toggle("step-done", Boolean(at));
      time.hidden = !at;
      time.replaceChildren();
      if (at) {
        const stamp = document.createElement("time");
        stamp.dateTime = at;
        stamp.textContent = stepTime(at);
        time.append(stamp);
      }
    }
    for (const element of root.querySelectorAll("[data-audience]")) {
      element.hidden = !applies(element.dataset.audience, state.age);
    }
    for (const radio of root.querySelectorAll("[data-age]")) {
      radio.checked = radio.value === state.age;
    }
    const note = root.querySelector("[data-note-text]");
    if (note) note.value = buildNote(collect());
  }

  root.addEventListener("change", (event) => {
    const target = event.target;
    if (target.matches("[data-tick]")) {
      const stepId = target.closest("[data-step-id]").dataset.stepId;
      if (target.checked) {
        state.ticks[stepId] = new Date().toISOString();
      } else {
        delete state.ticks[stepId];
      }
    } else if (target.matches("[data-age]")) {
      state.age = AGES.includes(target.value) ? target.value : "all";
    } else {
      return;
    }
    save();
    render();
  });

  // A tap on a call button is noted (role and time) for the archive note; the call itself goes on.
  root.addEventListener("click", (event) => {
    const link = event.target.closest('a[href^="tel:"]');
    if (!link) return;
    state.calls.push({ who: callee(link), at: new Date().toISOString() });
    save();
    render();
  });

  const dialog = root.querySelector("[data-reset-dialog]");
  const resetButton = root.querySelector("[data-reset]");
  const status = root.querySelector("[data-note-status]");
  resetButton?.addEventListener("click", () => {
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
  });
  const closeDialog = () => {
    if (typeof dialog.close === "function") dialog.close();
    else dialog.removeAttribute("open");
    resetButton.focus();
  };
  root.querySelector("[data-reset-cancel]")?.addEventListener("click", closeDialog);
  root.querySelector("[data-reset-confirm]")?.addEventListener("click", () => {
    remove(storageKey(id));
    state = loadState(id);
    render();
    closeDialog();
    if (status) status.textContent = t("wasReset", { label: root.dataset.flowLabel });
  });

  root.querySelector("[data-note-copy]")?.addEventListener("click", async () => {
    const note = root.querySelector("[data-note-text]");
    note.value = buildNote(collect());
    try {
      await navigator.clipboard.writeText(note.value);
      status.textContent = t("noteCopied");
    } catch {
      // No clipboard access: select the text so the phone's own copy menu can take it.
      note.focus();
      note.select();
      status.textContent = t("selected");
    }
  });

  document.addEventListener(DRILL_EVENT, render);
  window.addEventListener("storage", () => {
    state = loadState(id);
    render();
  });
  // On every pageshow, not only from the back/forward cache: after Back, Chromium restores the boxes of
  // the earlier visit between load and pageshow, which would show ticks cleared since.
  window.addEventListener("pageshow", () => {
    state = loadState(id);
    render();
  });
  render();
}

for (const root of document.querySelectorAll("[data-flow]")) setup(root);

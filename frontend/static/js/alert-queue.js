// Rusplan: «Varsle ledelsen» without network. The alert cannot be sent offline, so the page says so and
// that calling works. If the network comes back within QUEUE_MINUTES, every page offers to send it
// (on the "online" event, on the next page load, or when the service worker's Background Sync fires);
// the user confirms on the alert form, so it is sent once, by a person.
// Kept in localStorage under "rusplan:alert-queue": the urgent procedure's id, its title and the time.
// Nothing about the student, and nothing is stored on the server until the user sends the form.
// Which procedures are urgent is the school's plan: the page says it (the Akutt page's link, the
// offline page's list); the server checks the id again when the form is sent.

import { PREFIX, read, remove, write } from "./store.js";
import { locale, t } from "./text.js";

const KEY = "alert-queue";
const QUEUE_MINUTES = 10;
const SYNC_TAG = "rusplan-alert";
// The shape of a procedure id in the plan (a slug such as «akutt-a»); anything else is not kept.
const PROCEDURE_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

function isProcedureId(value) {
  return typeof value === "string" && value.length <= 64 && PROCEDURE_ID.test(value);
}

/** Return the waiting alert, or null when there is none, it is malformed, or it is too old to offer. */
export function queuedAlert(now = Date.now()) {
  const item = read(KEY, null);
  if (!item || !isProcedureId(item.alternative) || typeof item.at !== "string") {
    return null;
  }
  const at = Date.parse(item.at);
  if (Number.isNaN(at) || now - at > QUEUE_MINUTES * 60 * 1000 || at > now + 60 * 1000) {
    remove(KEY); // too old to be what the teacher needs now: calling was the way
    return null;
  }
  return { alternative: item.alternative, label: typeof item.label === "string" ? item.label : "", at: item.at };
}

function clock(iso) {
  return new Date(iso).toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" });
}

async function askForBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker.ready;
    if (registration.sync) {
      await registration.sync.register(SYNC_TAG);
    }
  } catch {
    // No Background Sync here: the "online" event and the next page load offer it instead.
  }
}

/** Keep the procedure and the time, say that the alert cannot be sent now, and ask to be woken when online. */
function keep(alternative, label) {
  if (!isProcedureId(alternative)) {
    return;
  }
  write(KEY, { alternative, label: label || "", at: new Date().toISOString() });
  const message = document.querySelector("[data-alert-offline]");
  if (message) {
    message.hidden = false;
  }
  if ("serviceWorker" in navigator) {
    askForBackgroundSync();
  }
}

function tappedOffline(link, event) {
  if (navigator.onLine !== false) {
    remove(KEY); // online (or unknown): the form opens, and sends it; if the network fails the offline page shows the numbers
    return;
  }
  event.preventDefault();
  keep(link.dataset.alertAlternative, link.dataset.alertLabel);
}

/** The offline page answered for the alert form (the phone thought it was online): keep the alert too. */
function offlinePageForTheForm() {
  const message = document.querySelector("[data-alert-offline][data-alert-labels]");
  if (!message || window.location.pathname !== "/varsel/ny") {
    return;
  }
  const alternative = new URLSearchParams(window.location.search).get("alternativ");
  let labels = {};
  try {
    labels = JSON.parse(message.dataset.alertLabels);
  } catch {
    labels = {};
  }
  // The list is the plan's urgent procedures: an id that is not one of them is not kept.
  if (labels && Object.hasOwn(labels, alternative) && typeof labels[alternative] === "string") {
    keep(alternative, labels[alternative]);
  }
}

function hideOffer() {
  const box = document.querySelector("[data-alert-offer]");
  if (box) {
    box.replaceChildren();
    box.hidden = true;
  }
}

/** Show «Nettet er tilbake … Send varselet nå?» once, in the flow of the page; tapping either button forgets it. */
function offer() {
  const box = document.querySelector("[data-alert-offer]");
  const item = queuedAlert();
  if (!box || !item || navigator.onLine === false || !box.hidden) {
    return;
  }
  const title = document.createElement("p");
  title.className = "alert-offer-title";
  title.textContent = t("offerTitle");
  const text = document.createElement("p");
  const time = clock(item.at);
  text.textContent = item.label ? t("offerTextFor", { time, label: item.label }) : t("offerText", { time });
  const send = document.createElement("a");
  send.className = "button button-alert";
  send.href = `/varsel/ny?alternativ=${encodeURIComponent(item.alternative)}`;
  send.textContent = t("sendNow");
  send.dataset.alertOfferSend = "";
  send.addEventListener("click", () => remove(KEY)); // offered once: the form sends it
  const skip = document.createElement("button");
  skip.type = "button";
  skip.className = "button button-secondary";
  skip.textContent = t("dontSend");
  skip.addEventListener("click", () => {
    remove(KEY);
    hideOffer();
  });
  box.replaceChildren(title, text, send, skip);
  box.hidden = false;
}

function init() {
  if (document.querySelector("[data-alert-form]")) {
    remove(KEY); // the alert form is open: what it sends is the alert, once; nothing more to offer
    return;
  }
  offlinePageForTheForm();
  for (const link of document.querySelectorAll("[data-alert-link]")) {
    link.addEventListener("click", (event) => tappedOffline(link, event));
  }
  window.addEventListener("offline", hideOffer);
  window.addEventListener("online", offer);
  window.addEventListener("storage", (event) => {
    if (event.key === null || event.key === PREFIX + KEY) {
      if (read(KEY, null) === null) hideOffer();
      else offer();
    }
  });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data && event.data.type === "ALERT_QUEUE_ONLINE") offer();
    });
  }
  offer();
}

init();

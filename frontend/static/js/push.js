// Rusplan: notifications on this phone (settings page) and the drill flag of the alert form.
// Permission is asked only after a tap on «Slå på varsler», never when the page loads.
import { DRILL_EVENT, isDrill } from "./drill.js";
import { t } from "./text.js";

function base64UrlToBytes(text) {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  const binary = atob(padded);
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/** iPhone or iPad in Safari, not opened from the home screen: Web Push needs the app added first. */
export function needsHomeScreen() {
  const ios =
    /iPad|iPhone|iPod/.test(navigator.userAgent) ||
    (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  const standalone =
    navigator.standalone === true || window.matchMedia("(display-mode: standalone)").matches;
  return ios && !standalone;
}

function supported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

// How long turning notifications on may take once permission is given, and when to say it is slow.
const ENABLE_TIMEOUT_MS = 20000;
const SLOW_NOTICE_MS = 5000;

/** An error whose message is our own Norwegian text (from the server or this file), safe to show. */
class ShownError extends Error {}

/** The step took longer than ENABLE_TIMEOUT_MS. */
class EnableTimeout extends Error {}

async function postJson(url, token, body) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body),
    });
  } catch {
    throw new ShownError(t("pushOffline"));
  }
  let data = {};
  try {
    data = await response.json();
  } catch {
    data = {};
  }
  if (!response.ok || !data.ok) {
    throw new ShownError(typeof data.error === "string" ? data.error : t("pushUnexpected"));
  }
  return data;
}

function withTimeout(promise, ms) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new EnableTimeout()), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

function devicesText(count) {
  if (!count) return t("devicesNone");
  return t(count === 1 ? "devicesOne" : "devicesMany", { count });
}

/** Say what went wrong in Norwegian; a browser's own (English) error text is never shown. */
function explain(problem) {
  if (problem instanceof ShownError) return { kind: "failed", text: problem.message };
  if (problem instanceof EnableTimeout) return { kind: "timeout", text: t("pushTimeout") };
  if (problem && problem.name === "NotAllowedError") return { kind: "blocked", text: t("pushBlocked") };
  return { kind: "failed", text: t("pushFailed") };
}

async function askPermission() {
  // Old Safari takes a callback instead of returning a promise.
  return new Promise((resolve, reject) => {
    const answer = Notification.requestPermission(resolve);
    if (answer && typeof answer.then === "function") answer.then(resolve, reject);
  });
}

function setupSettings(root) {
  const $ = (selector) => root.querySelector(selector);
  const form = $("[data-push-form]");
  const state = $("[data-push-state]");
  const progress = $("[data-push-progress]");
  const error = $("[data-push-error]");
  const denied = $("[data-push-denied]");
  const enable = $("[data-push-enable]");
  const save = $("[data-push-save]");
  const disable = $("[data-push-disable]");
  const devices = document.querySelector("[data-push-devices]");
  const token = root.dataset.csrfToken;
  const enableLabel = enable.textContent;
  $("[data-push-nojs]").hidden = true;

  const mark = (kind) => {
    root.dataset.pushStatus = kind;
  };
  if (needsHomeScreen()) {
    $("[data-push-ios]").hidden = false;
    mark("unsupported");
    return;
  }
  if (!supported()) {
    $("[data-push-unsupported]").hidden = false;
    mark("unsupported");
    return;
  }
  form.hidden = false;

  const choices = () => {
    const chosen = {};
    for (const box of root.querySelectorAll("[data-push-choice]")) {
      chosen[box.dataset.pushChoice] = box.checked;
    }
    return chosen;
  };
  const showError = (message) => {
    error.textContent = message;
    error.hidden = !message;
  };
  const show = (on, message) => {
    mark(on ? "on" : "off");
    progress.hidden = true;
    enable.hidden = on;
    enable.textContent = enableLabel;
    save.hidden = !on;
    disable.hidden = !on;
    state.textContent = message || (on ? t("pushOn") : t("pushOff"));
  };
  const waiting = (text) => {
    mark("waiting");
    progress.hidden = false;
    state.textContent = text;
  };
  const failed = (problem) => {
    const { kind, text } = explain(problem);
    mark(kind);
    progress.hidden = true;
    if (kind === "blocked") {
      denied.hidden = false;
      state.textContent = text;
      return;
    }
    state.textContent = t("pushOff");
    enable.textContent = t("pushRetry");
    showError(text);
  };
  const countDevices = (data) => {
    if (devices && typeof data.device_count === "number") devices.textContent = devicesText(data.device_count);
  };
  const busy = (flag) => {
    for (const button of [enable, save, disable]) button.disabled = flag;
  };

  const registration = () => navigator.serviceWorker.ready;

  async function send(subscription) {
    const data = await postJson(root.dataset.subscribeUrl, token, {
      subscription: subscription.toJSON(),
      ...choices(),
    });
    countDevices(data);
    show(true, data.message);
  }

  async function subscribeHere() {
    const reg = await registration();
    let subscription = await reg.pushManager.getSubscription();
    if (!subscription) {
      subscription = await reg.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: base64UrlToBytes(root.dataset.applicationServerKey),
      });
    }
    await send(subscription);
  }

  async function turnOn() {
    showError("");
    busy(true);
    let slow;
    try {
      waiting(t("pushAsking"));
      const permission = await askPermission();
      if (permission === "denied") {
        failed({ name: "NotAllowedError" });
        return;
      }
      if (permission !== "granted") {
        show(false, t("pushDismissed"));
        return;
      }
      denied.hidden = true;
      waiting(t("pushWaiting"));
      slow = setTimeout(() => waiting(t("pushSlow")), SLOW_NOTICE_MS);
      await withTimeout(subscribeHere(), ENABLE_TIMEOUT_MS);
    } catch (problem) {
      failed(problem);
    } finally {
      clearTimeout(slow);
      busy(false);
    }
  }

  async function saveChoices() {
    showError("");
    busy(true);
    try {
      const reg = await withTimeout(registration(), ENABLE_TIMEOUT_MS);
      const subscription = await reg.pushManager.getSubscription();
      if (!subscription) {
        show(false);
        return;
      }
      await withTimeout(send(subscription), ENABLE_TIMEOUT_MS);
    } catch (problem) {
      showError(problem instanceof ShownError ? problem.message : t("pushSaveFailed"));
    } finally {
      busy(false);
    }
  }

  async function turnOff() {
    showError("");
    busy(true);
    try {
      const reg = await withTimeout(registration(), ENABLE_TIMEOUT_MS);
      const subscription = await reg.pushManager.getSubscription();
      if (subscription) {
        const endpoint = subscription.endpoint;
        await subscription.unsubscribe();
        const data = await postJson(root.dataset.unsubscribeUrl, token, { endpoint });
        countDevices(data);
        show(false, data.message);
      } else {
        show(false);
      }
    } catch (problem) {
      showError(problem instanceof ShownError ? problem.message : t("pushOffFailed"));
    } finally {
      busy(false);
    }
  }

  enable.addEventListener("click", turnOn);
  save.addEventListener("click", saveChoices);
  disable.addEventListener("click", turnOff);

  // Show what this phone is subscribed to; nothing here asks for permission.
  (async () => {
    if (Notification.permission === "denied") {
      denied.hidden = false;
      mark("blocked");
      state.textContent = t("pushBlocked");
      return;
    }
    try {
      const reg = await navigator.serviceWorker.getRegistration();
      const subscription = reg ? await reg.pushManager.getSubscription() : null;
      if (!subscription) {
        show(false);
        return;
      }
      const data = await postJson(root.dataset.statusUrl, token, { endpoint: subscription.endpoint });
      if (data.subscribed) {
        for (const box of root.querySelectorAll("[data-push-choice]")) {
          box.checked = Boolean(data[box.dataset.pushChoice]);
        }
      }
      show(data.subscribed);
    } catch {
      show(false);
    }
  })();
}

function setupAlertForm(form) {
  const field = form.querySelector("input[name='drill']");
  const mark = form.querySelector("[data-drill-mark]");
  const render = () => {
    const drill = isDrill();
    if (field) field.value = drill ? "1" : "0";
    if (mark) mark.hidden = !drill;
  };
  render();
  document.addEventListener(DRILL_EVENT, render);
  window.addEventListener("pageshow", render);
}

/** Set up the settings page or the alert form inside `scope` (the page, or content htmx swapped in). */
function init(scope) {
  for (const root of scope.querySelectorAll("[data-push-settings]:not([data-ready])")) {
    root.dataset.ready = "";
    setupSettings(root);
  }
  for (const form of scope.querySelectorAll("[data-alert-form]:not([data-ready])")) {
    form.dataset.ready = "";
    setupAlertForm(form);
  }
}

init(document);
// Account pages navigate with hx-boost, which swaps the body without running its scripts.
document.addEventListener("htmx:load", (event) => init(event.detail.elt.parentElement || document));

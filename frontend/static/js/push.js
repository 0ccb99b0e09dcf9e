// Rusplan: notifications on this phone (settings page) and the drill flag of the alert form.
// Permission is asked only after a tap on «Slå på varsler», never when the page loads.
import { DRILL_EVENT, isDrill } from "./drill.js";

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

async function postJson(url, token, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": token },
    body: JSON.stringify(body),
  });
  let data = {};
  try {
    data = await response.json();
  } catch {
    data = {};
  }
  if (!response.ok || !data.ok) {
    throw new Error(data.error || "Serveren svarte ikke som ventet. Prøv igjen.");
  }
  return data;
}

function setupSettings(root) {
  const $ = (selector) => root.querySelector(selector);
  const form = $("[data-push-form]");
  const state = $("[data-push-state]");
  const error = $("[data-push-error]");
  const enable = $("[data-push-enable]");
  const save = $("[data-push-save]");
  const disable = $("[data-push-disable]");
  const token = root.dataset.csrfToken;
  $("[data-push-nojs]").hidden = true;

  if (needsHomeScreen()) {
    $("[data-push-ios]").hidden = false;
    return;
  }
  if (!supported()) {
    $("[data-push-unsupported]").hidden = false;
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
    enable.hidden = on;
    save.hidden = !on;
    disable.hidden = !on;
    state.textContent = message || (on ? "Varsler er på for denne telefonen." : "Varsler er av på denne telefonen.");
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
    show(true, data.message);
  }

  async function turnOn() {
    showError("");
    busy(true);
    try {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") {
        $("[data-push-denied]").hidden = false;
        show(false, "Varsler ble ikke slått på.");
        return;
      }
      const reg = await registration();
      let subscription = await reg.pushManager.getSubscription();
      if (!subscription) {
        subscription = await reg.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: base64UrlToBytes(root.dataset.applicationServerKey),
        });
      }
      await send(subscription);
    } catch (problem) {
      showError(problem.message || "Kunne ikke slå på varsler. Prøv igjen.");
    } finally {
      busy(false);
    }
  }

  async function saveChoices() {
    showError("");
    busy(true);
    try {
      const reg = await registration();
      const subscription = await reg.pushManager.getSubscription();
      if (!subscription) {
        show(false);
        return;
      }
      await send(subscription);
    } catch (problem) {
      showError(problem.message);
    } finally {
      busy(false);
    }
  }

  async function turnOff() {
    showError("");
    busy(true);
    try {
      const reg = await registration();
      const subscription = await reg.pushManager.getSubscription();
      if (subscription) {
        const endpoint = subscription.endpoint;
        await subscription.unsubscribe();
        const data = await postJson(root.dataset.unsubscribeUrl, token, { endpoint });
        show(false, data.message);
      } else {
        show(false);
      }
    } catch (problem) {
      showError(problem.message);
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
      $("[data-push-denied]").hidden = false;
    }
    const reg = await navigator.serviceWorker.getRegistration();
    const subscription = reg ? await reg.pushManager.getSubscription() : null;
    if (!subscription) {
      show(false);
      return;
    }
    try {
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

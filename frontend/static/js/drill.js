// Rusplan: drill mode ("Øvelse"). While it is on, every screen shows a banner, so training never
// looks like a real case. Other features (alerts) ask isDrill() to mark what they send as a drill.
import { PREFIX, read, remove, write } from "./store.js";
import { t } from "./text.js";

const KEY = "drill";
export const DRILL_EVENT = "rusplan:drill";

/** Is drill mode on in this browser? */
export function isDrill() {
  const state = read(KEY, null);
  return Boolean(state && state.on === true);
}

/** Return when drill mode was turned on (ISO time), or null when it is off. */
export function drillSince() {
  const state = read(KEY, null);
  return state && state.on === true ? state.since ?? null : null;
}

/** Turn drill mode on or off, show or hide the banner, and tell the page. */
export function setDrill(on) {
  if (on) {
    write(KEY, { on: true, since: new Date().toISOString() });
  } else {
    remove(KEY);
  }
  render();
  document.dispatchEvent(new CustomEvent(DRILL_EVENT, { detail: { on: Boolean(on) } }));
}

function render() {
  const on = isDrill();
  document.documentElement.classList.toggle("drill-on", on);
  for (const banner of document.querySelectorAll("[data-drill-banner]")) {
    banner.textContent = on ? t("drill") : "";
    banner.hidden = !on;
  }
  for (const toggle of document.querySelectorAll("[data-drill-toggle]")) {
    toggle.checked = on;
  }
  for (const wrapper of document.querySelectorAll("[data-drill-switch]")) {
    wrapper.hidden = false;
  }
}

function init() {
  for (const toggle of document.querySelectorAll("[data-drill-toggle]")) {
    toggle.addEventListener("change", () => setDrill(toggle.checked));
  }
  render();
  // Another tab changed it, or the page came back from the back/forward cache.
  window.addEventListener("storage", (event) => {
    if (event.key === null || event.key === PREFIX + KEY) render();
  });
  window.addEventListener("pageshow", render);
}

init();

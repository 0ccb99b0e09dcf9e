// One-tap copy: a button with data-copy="text" puts the text on the clipboard and says so in the
// page's [data-copy-status] (role="status"). Buttons are hidden until this file runs, since without
// JavaScript the text itself can still be selected and copied.
import { t } from "./text.js";

const status = (button) => button.closest("main, body").querySelector("[data-copy-status]");

function reveal(root) {
  for (const button of root.querySelectorAll("[data-copy][hidden]")) button.hidden = false;
}

async function copy(button) {
  const shown = status(button);
  try {
    await navigator.clipboard.writeText(button.dataset.copy);
    if (shown) shown.textContent = button.dataset.copyDone || t("copied");
  } catch {
    // No clipboard access (an old browser, or not allowed): select the text for the phone's own menu.
    const target = document.getElementById(button.getAttribute("aria-controls") || "");
    if (target instanceof HTMLInputElement) target.select();
    else if (target) window.getSelection()?.selectAllChildren(target);
    if (shown) shown.textContent = shown.dataset.copySelected || t("selected");
  }
}

// Delegated, so buttons in pages that htmx swaps in later work too.
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
  if (button) copy(button);
});
document.addEventListener("htmx:afterSettle", () => reveal(document));
reveal(document);

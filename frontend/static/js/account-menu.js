// The signed-in person in the header of public pages. Those pages are the same bytes for everyone (and
// kept by shared caches), so they never name anyone: a browser that was signed in on a personal page
// remembers that (a flag, no name) and asks /konto/meny (personal, no-store) for the menu. A browser
// that never signed in asks nothing. Without JavaScript the footer's login link still leads to it.
import { read, remove, write } from "./store.js";
import { t } from "./text.js";

const KEY = "signed-in";

function showMenu(slot, html) {
  // DOMParser: inert markup (nothing in it runs), then moved into the page.
  const parsed = new DOMParser().parseFromString(html, "text/html");
  const found = parsed.querySelector("[data-account='in']");
  if (!found) return;
  const menu = document.adoptNode(found);
  slot.replaceWith(menu);
  for (const link of document.querySelectorAll("[data-staff-link]")) {
    link.textContent = t("myAccount");
    link.href = menu.dataset.accountHome;
  }
}

async function fetchMenu(slot) {
  try {
    const response = await fetch(slot.dataset.accountUrl, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "text/html" },
    });
    if (response.status === 200) {
      showMenu(slot, await response.text());
    } else if (response.status === 204) {
      remove(KEY); // signed out meanwhile (elsewhere, or the session ran out)
    }
  } catch {
    // Offline: the public page works without the menu.
  }
}

function sync() {
  if (document.querySelector("[data-account='in']")) {
    write(KEY, true);
  } else if (document.querySelector("[data-account='out']")) {
    remove(KEY);
  } else {
    const slot = document.querySelector("[data-account-slot]");
    if (slot && read(KEY, false)) fetchMenu(slot);
  }
}

sync();
// Signed-in pages move by htmx (hx-boost): the login form's answer is swapped in, not loaded. Remember
// it as soon as the new page is in (afterSwap runs in the same task as the swap); waiting for settle
// (20 ms later) left a window where a person who moved on at once was not remembered as signed in.
document.addEventListener("htmx:afterSwap", sync);
document.addEventListener("htmx:afterSettle", sync);

// Close the open menu on Escape or a tap elsewhere, as a menu does.
document.addEventListener("click", (event) => {
  for (const open of document.querySelectorAll(".account-menu[open]")) {
    if (!(event.target instanceof Node) || !open.contains(event.target)) open.open = false;
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  for (const open of document.querySelectorAll(".account-menu[open]")) {
    open.open = false;
    open.querySelector("summary")?.focus();
  }
});

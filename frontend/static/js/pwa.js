// The offline copy: registers the service worker (/sw.js) and offers a new version of the plan when one
// has been stored in the background. The page reloads only when the user asks for it.
import { t } from "./text.js";

const CHECK_EVERY_MS = 30 * 60 * 1000;

function offerUpdate(registration, onAccept) {
  const banner = document.querySelector("[data-update-banner]");
  if (!banner || !banner.hidden) {
    return;
  }
  const text = document.createElement("p");
  text.className = "update-text";
  text.textContent = t("updated");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "button";
  button.textContent = t("reload");
  button.addEventListener("click", () => {
    button.disabled = true;
    onAccept(registration.waiting);
  });
  banner.replaceChildren(text, button);
  banner.hidden = false;
}

async function start() {
  if (!("serviceWorker" in navigator)) {
    return;
  }
  const serviceWorker = navigator.serviceWorker;
  let userAskedForReload = false;
  serviceWorker.addEventListener("controllerchange", () => {
    // The first install's clients.claim() lands here too: reload only after the user's tap.
    if (userAskedForReload) {
      window.location.reload();
    }
  });
  const accept = (waiting) => {
    userAskedForReload = true;
    if (waiting) {
      waiting.postMessage({ type: "SKIP_WAITING" });
    } else {
      // Another tab already switched to the new version: this page only needs loading again.
      window.location.reload();
    }
  };

  let registration;
  try {
    registration = await serviceWorker.register("/sw.js", { updateViaCache: "none" });
  } catch {
    return; // no offline copy; the page works as before
  }

  const whenInstalled = (worker) => {
    worker.addEventListener("statechange", () => {
      // Without a controller this is the first install: nothing to update, nothing to show.
      if (worker.state === "installed" && serviceWorker.controller) {
        offerUpdate(registration, accept);
      }
    });
  };
  if (registration.waiting && serviceWorker.controller) {
    offerUpdate(registration, accept);
  }
  if (registration.installing) {
    whenInstalled(registration.installing);
  }
  registration.addEventListener("updatefound", () => {
    if (registration.installing) {
      whenInstalled(registration.installing);
    }
  });

  const check = () => {
    registration.update().catch(() => {}); // offline or server down: try again later
  };
  if (registration.active) {
    check();
  }
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") {
      check();
    }
  });
  window.addEventListener("online", check);
  window.setInterval(() => {
    if (document.visibilityState === "visible") {
      check();
    }
  }, CHECK_EVERY_MS);
}

// Offline, a link on a signed-in page (boosted by htmx) would fail without a sound: open it as a page
// instead, so the service worker answers with the offline page and the numbers to call. Polling and
// forms are left alone (only boosted GETs).
document.addEventListener("htmx:sendError", (event) => {
  const detail = event.detail || {};
  const config = detail.requestConfig || {};
  if (detail.boosted && config.verb === "get" && typeof config.path === "string") {
    window.location.assign(config.path);
  }
});

// After the page has loaded: the offline copy must not compete with what the first visit needs to render.
if (document.readyState === "complete") {
  start();
} else {
  window.addEventListener("load", start, { once: true });
}

// Rusplan's service worker: every public page and phone number, also without network.
// Served by backend/routes/pwa.py at /sw.js, with the version written in: a new plan revision (or a
// deploy) changes these bytes, so the browser installs the new worker in the background.
// The patterns follow MDN's PWA examples and trained-to-thrill (see STYLE.md).
const VERSION = {{ version|tojson }};
const PRECACHE_URL = {{ precache_url|tojson }};
const OFFLINE_URL = {{ offline_url|tojson }};
const CACHE_PREFIX = "rusplan-";
const CACHE_NAME = CACHE_PREFIX + VERSION;
// A weak signal in a stairwell: after this long, show the stored page instead of waiting.
const NETWORK_TIMEOUT_MS = 3000;
// Personal pages: never answered from, nor written to, the cache (offline, the offline page answers).
const PERSONAL_PREFIXES = ["/konto", "/admin", "/varsel"];
// Always from the network: they tell which version is current.
const NETWORK_ONLY = [self.location.pathname, PRECACHE_URL];
// Web Push: where a changed subscription is reported, and the icon of a notification.
const RESUBSCRIBE_URL = {{ url_for("push.subscription_change")|tojson }};
const NOTIFICATION_ICON = {{ asset_url("icons/icon-192.png")|tojson }};
// The texts this worker shows itself, in the school's language (rendered from the catalogue).
const LANG = {{ current_language()|tojson }};
const TEXT = {
  backOnline: {{ _("Nettet er tilbake")|string|tojson }},
  alertNotSent: {{ _("Varselet til ledelsen er ikke sendt. Åpne Rusplan for å sende det.")|string|tojson }},
  openApp: {{ _("Åpne Rusplan.")|string|tojson }},
  coming: {{ _("Jeg kommer")|string|tojson }},
  open: {{ _("Åpne")|string|tojson }},
};
// English pages (/en/...) are not stored: offline, the stored page in the school's language stands in.
const VISITOR_PREFIXES = ["/en"];

self.addEventListener("install", (event) => {
  event.waitUntil(precache());
});

self.addEventListener("activate", (event) => {
  event.waitUntil(activate());
});

self.addEventListener("message", (event) => {
  // Sent by the page only when the user tapped "Last inn ny versjon".
  if (event.data && event.data.type === "SKIP_WAITING") {
    event.waitUntil(self.skipWaiting());
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (isPersonalNavigation(request)) {
    event.respondWith(personalPage(request));
    return;
  }
  if (!shouldHandle(request)) {
    return; // the browser does what it would do without a service worker
  }
  if (request.mode === "navigate") {
    event.respondWith(networkFirst(request));
  } else {
    event.respondWith(cacheFirst(request));
  }
});

/** Store every URL the server lists for this version; the install fails unless all of them arrive. */
async function precache() {
  const response = await fetch(PRECACHE_URL, { cache: "no-store" });
  if (!response.ok) {
    throw new Error(`precache list: HTTP ${response.status}`);
  }
  const list = await response.json();
  if (list.version !== VERSION) {
    // The plan changed between this script and its list: the next update check brings the newer script.
    throw new Error(`precache list is version ${list.version}, this worker is ${VERSION}`);
  }
  const cache = await caches.open(CACHE_NAME);
  await cache.addAll(list.urls.map((url) => new Request(url, { cache: "reload" })));
}

/** Delete our own older caches (never anyone else's), then take over the open pages. */
async function activate() {
  const names = await caches.keys();
  const old = names.filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE_NAME);
  await Promise.all(old.map((name) => caches.delete(name)));
  await self.clients.claim();
}

function shouldHandle(request) {
  if (request.method !== "GET") {
    return false;
  }
  if (request.cache === "only-if-cached" && request.mode !== "same-origin") {
    return false;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || NETWORK_ONLY.includes(url.pathname)) {
    return false;
  }
  if (isPersonal(url)) {
    return false;
  }
  // htmx asks for a fragment: never answer it with a full page from the cache.
  return !request.headers.has("HX-Request");
}

function isPersonal(url) {
  return PERSONAL_PREFIXES.some((prefix) => url.pathname === prefix || url.pathname.startsWith(`${prefix}/`));
}

/** Opening a signed-in page (not an htmx fragment): the network, or the offline page with the numbers. */
function isPersonalNavigation(request) {
  if (request.method !== "GET" || request.mode !== "navigate") {
    return false;
  }
  const url = new URL(request.url);
  return url.origin === self.location.origin && isPersonal(url) && !request.headers.has("HX-Request");
}

/** Signed-in pages are never read from nor written to the cache; without network the offline page answers. */
async function personalPage(request) {
  try {
    return await fetch(request);
  } catch {
    return (await fromCache(OFFLINE_URL)) || Response.error();
  }
}

function fromCache(request, options = {}) {
  // caches.match with cacheName never creates a cache, unlike caches.open (an old worker still
  // answering a request must not bring back the cache its successor just deleted).
  return caches.match(request, { cacheName: CACHE_NAME, ignoreVary: true, ...options });
}

function timeout(ms) {
  return new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
}

/** Pages: the network if it answers in time, else the stored page, else the offline page. */
async function networkFirst(request) {
  const network = fetch(request);
  network.catch(() => {}); // awaited again below; this only silences the unhandled rejection
  let response;
  try {
    response = await Promise.race([network, timeout(NETWORK_TIMEOUT_MS)]);
  } catch {
    response = undefined; // no network
  }
  if (response && response.status < 500) {
    return response;
  }
  const inSchoolLanguage = schoolLanguageUrl(request.url);
  const cached = (await fromCache(request)) || (inSchoolLanguage && (await fromCache(inSchoolLanguage)));
  if (cached) {
    return cached;
  }
  if (response) {
    return response; // a server error, and nothing better stored
  }
  try {
    return await network; // slow, but not stored: keep waiting for it
  } catch {
    return (await fromCache(OFFLINE_URL)) || Response.error();
  }
}

/** The same page in the school's language (/en/akutt → /akutt), or null for a page in it already. */
function schoolLanguageUrl(href) {
  const url = new URL(href);
  for (const prefix of VISITOR_PREFIXES) {
    if (url.pathname === prefix || url.pathname.startsWith(`${prefix}/`)) {
      return url.origin + (url.pathname.slice(prefix.length) || "/");
    }
  }
  return null;
}

/** Static files and other public GETs: the stored copy, else the network. Nothing is written at run time. */
async function cacheFirst(request) {
  const cached = await fromCache(request);
  if (cached) {
    return cached;
  }
  try {
    return await fetch(request);
  } catch (error) {
    // Offline, and the URL lacks its fingerprint (say, an ES module import): any stored copy of the file.
    if (new URL(request.url).pathname.startsWith("/static/")) {
      const anyVersion = await fromCache(request, { ignoreSearch: true });
      if (anyVersion) {
        return anyVersion;
      }
    }
    throw error;
  }
}

// ---- «Varsle ledelsen» tapped offline (js/alert-queue.js): when the network is back, Background Sync
// wakes this worker, which asks the open pages to offer sending it (the alert itself is in the page's
// localStorage, never here); with no page open, a notification opens one, if notifications are allowed.
self.addEventListener("sync", (event) => {
  if (event.tag === "rusplan-alert") {
    event.waitUntil(offerQueuedAlert());
  }
});

async function offerQueuedAlert() {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  if (windows.length) {
    for (const client of windows) {
      client.postMessage({ type: "ALERT_QUEUE_ONLINE" });
    }
    return;
  }
  if (self.Notification && self.Notification.permission === "granted") {
    await self.registration.showNotification(TEXT.backOnline, {
      body: TEXT.alertNotSent,
      data: { type: "alert-queue", url: "/akutt" },
      icon: NOTIFICATION_ICON,
      lang: LANG,
      tag: "alert-queue",
    });
  }
}

// ---- Web Push: alerts to the leadership and plan-update notices (built by backend/services/alerts/alerts.py).
// Nothing here is cached: the alert pages live under /varsel, which the fetch handler leaves alone.

self.addEventListener("push", pushReceived);
self.addEventListener("notificationclick", notificationClicked);
self.addEventListener("pushsubscriptionchange", subscriptionChanged);

function pushReceived(event) {
  event.waitUntil(showPushMessage(event.data));
}

/** Show the message as a notification; an alert stays on screen until the leader handles it. */
async function showPushMessage(data) {
  let message = null;
  try {
    message = data ? data.json() : null;
  } catch {
    message = null;
  }
  if (!message || typeof message !== "object") {
    // Every push must show something (userVisibleOnly); an unreadable one just opens the app.
    message = { type: "unknown", title: "Rusplan", body: TEXT.openApp, url: "/" };
  }
  const isAlert = message.type === "alert";
  const options = {
    body: message.body || "",
    data: message,
    icon: NOTIFICATION_ICON,
    lang: LANG,
    requireInteraction: isAlert,
  };
  if (message.tag) {
    options.tag = message.tag;
    options.renotify = isAlert;
  }
  if (isAlert) {
    options.actions = [
      { action: "kommer", title: TEXT.coming },
      { action: "apne", title: TEXT.open },
    ];
    options.vibrate = [300, 100, 300, 100, 300];
  }
  await self.registration.showNotification(message.title || "Rusplan", options);
}

function notificationClicked(event) {
  event.notification.close();
  event.waitUntil(handleNotificationClick(event.notification.data || {}, event.action));
}

function sameOrigin(url) {
  try {
    const parsed = new URL(url, self.location.origin);
    return parsed.origin === self.location.origin ? parsed.href : null;
  } catch {
    return null;
  }
}

/** «Jeg kommer» answers the alert, then opens it; «Åpne» or a tap on the body only opens it. */
async function handleNotificationClick(data, action) {
  const page = sameOrigin(data.url || "/") || self.location.origin + "/";
  if (action === "kommer" && data.ack_url) {
    await acknowledge(data.ack_url);
  }
  await openPage(page);
}

/** POST the alert's one-time token (in its URL); the session or this device's endpoint says who answers. */
async function acknowledge(ackUrl) {
  const url = sameOrigin(ackUrl);
  if (!url) {
    return false;
  }
  let subscription = null;
  try {
    subscription = await self.registration.pushManager.getSubscription();
  } catch {
    subscription = null; // the session cookie still says who answers
  }
  try {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ endpoint: subscription ? subscription.endpoint : null }),
    });
    return response.ok;
  } catch {
    return false; // offline: the alert page opens and offers «Jeg kommer» there
  }
}

async function openPage(url) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of windows) {
    if (client.url === url && "focus" in client) {
      return client.focus();
    }
  }
  try {
    return await self.clients.openWindow(url);
  } catch {
    return null; // the browser did not allow a window now; the answer is sent all the same
  }
}

function subscriptionChanged(event) {
  event.waitUntil(moveSubscription(event.oldSubscription, event.newSubscription));
}

/**
 * The push service replaced this device's subscription: subscribe again if needed and tell the server.
 * The old subscription's auth secret proves to the server that this device held it (a stranger who
 * knows only the endpoint cannot move it); the session cookie, if signed in, proves it too.
 */
async function moveSubscription(oldSubscription, newSubscription) {
  if (!oldSubscription) {
    return; // nothing the server knows to move from; the settings page subscribes again
  }
  let subscription = newSubscription;
  if (!subscription) {
    subscription = await self.registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: oldSubscription.options.applicationServerKey,
    });
  }
  const oldKeys = oldSubscription.toJSON().keys || {};
  await fetch(RESUBSCRIBE_URL, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      old_endpoint: oldSubscription.endpoint,
      old_auth: oldKeys.auth || null,
      subscription: subscription.toJSON(),
    }),
  });
}

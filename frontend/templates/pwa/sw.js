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
// Personal pages: never answered from, nor written to, the cache.
const PERSONAL_PREFIXES = ["/konto", "/admin", "/varsel"];
// Always from the network: they tell which version is current.
const NETWORK_ONLY = [self.location.pathname, PRECACHE_URL];

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
  if (PERSONAL_PREFIXES.some((prefix) => url.pathname === prefix || url.pathname.startsWith(`${prefix}/`))) {
    return false;
  }
  // htmx asks for a fragment: never answer it with a full page from the cache.
  return !request.headers.has("HX-Request");
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
  const cached = await fromCache(request);
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

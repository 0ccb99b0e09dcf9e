// Rusplan: the browser's own storage for flow state. Nothing here is ever sent to the server.
// Every key starts with "rusplan:" so the app's data is easy to find and to clear.

export const PREFIX = "rusplan:";

/** Return the stored value for a key, or the fallback when it is missing, unreadable or storage is off. */
export function read(key, fallback) {
  try {
    const raw = window.localStorage.getItem(PREFIX + key);
    return raw === null ? fallback : JSON.parse(raw);
  } catch {
    return fallback;
  }
}

/** Store a value as JSON; return false when the browser refuses (private mode, full storage). */
export function write(key, value) {
  try {
    window.localStorage.setItem(PREFIX + key, JSON.stringify(value));
    return true;
  } catch {
    return false;
  }
}

/** Forget a key. */
export function remove(key) {
  try {
    window.localStorage.removeItem(PREFIX + key);
  } catch {
    // Storage is off: there is nothing to forget.
  }
}

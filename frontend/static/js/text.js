// The texts scripts show, in the page's language: base.html renders them from the catalogues into
// #ui-text's data attribute (the CSP allows no inline script), so no script holds Norwegian itself.

let cached = null;

function texts() {
  const holder = document.getElementById("ui-text");
  const raw = holder ? holder.dataset.uiText : null;
  if (cached && cached.raw === raw) return cached.texts;
  let parsed = {};
  try {
    parsed = raw ? JSON.parse(raw) : {};
  } catch {
    parsed = {};
  }
  cached = { raw, texts: parsed };
  return parsed;
}

/** Return the text for `key`, with each {name} replaced by values[name]; the key itself if missing. */
export function t(key, values = {}) {
  const text = texts()[key];
  if (typeof text !== "string") return key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** The page's locale for dates and times («nb-NO», «nn-NO», «en-GB»). */
export function locale() {
  return t("locale") === "locale" ? "nb-NO" : t("locale");
}

/** The school's locale, for the note written into the school's archive. */
export function noteLocale() {
  return t("noteLocale") === "noteLocale" ? "nb-NO" : t("noteLocale");
}

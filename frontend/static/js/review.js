// The plan's review date: a public page stored before the date passed (by a cache, or offline) still
// says «Revisjonen er forsinket» once the phone's own date is past it. The server shows it itself
// when the page is rendered after the date, so this only ever reveals, never hides.
function today() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

for (const notice of document.querySelectorAll("[data-review-late][data-due]")) {
  if (notice.dataset.due < today()) notice.hidden = false;
}

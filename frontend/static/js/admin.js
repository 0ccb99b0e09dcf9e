// Account and admin pages: htmx shows a form that comes back with field errors (4xx) instead of
// ignoring it, so a phone user always sees why nothing was saved. Server errors are not swapped.
import "./copy.js";

const htmx = window.htmx;

if (htmx) {
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "(400|401|403|404|409|410|413|422|429)", swap: true, error: false },
    { code: "[45]..", swap: false, error: true },
  ];
}

// Select the whole invitation link on tap, ready to copy.
for (const field of document.querySelectorAll("[data-invitation-link]")) {
  field.addEventListener("focus", () => field.select());
}

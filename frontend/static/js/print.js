// The print page's «Skriv ut» button: hidden until this file runs, since it needs JavaScript.
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}

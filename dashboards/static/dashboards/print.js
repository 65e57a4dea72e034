// The report's "Print" button: the browser's own print dialog (the print stylesheet lays it out).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});

// Print buttons (`data-print`): the browser's own print dialog; each page's print stylesheet
// lays the page out. A button hidden until this script runs (`hidden`) is shown, so that a page
// without JavaScript offers no button that does nothing.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});

// One press sends once: a double tap on a slow connection would otherwise post twice
// (the server refuses the second anyway; this just spares the attendee the message).
document.getElementById("feedback-form").addEventListener("submit", function (event) {
  var button = event.target.querySelector("button[type=submit]");
  if (button.disabled) { event.preventDefault(); return; }
  setTimeout(function () { button.disabled = true; button.textContent = "Sending…"; }, 0);
});

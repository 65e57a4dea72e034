// "Copy address" buttons: hidden until this script runs, so a page without JavaScript shows only
// the address in a read-only box, which can be selected and copied by hand.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var input = document.getElementById(button.dataset.copyTarget);
      var status = document.getElementById(button.dataset.copyStatus);
      function done(text) { if (status) { status.textContent = text; } }
      function fallback() {
        input.focus();
        input.select();
        try {
          done(document.execCommand("copy") ? "Address copied." : "Press Ctrl+C to copy the selected address.");
        } catch (e) {
          done("Press Ctrl+C to copy the selected address.");
        }
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(function () { done("Address copied."); }, fallback);
      } else {
        fallback();
      }
    });
  });
})();

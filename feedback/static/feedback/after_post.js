// This page answers a POST (the form with its errors, or why the answers were not taken). Its
// history entry becomes a plain visit to the same address, so that Back (after the thanks page)
// or Reload fetches the form afresh instead of asking to send the answers again
// ("Confirm Form Resubmission"). A sent form itself redirects to the thanks page (POST/Redirect/GET).
if (window.history && window.history.replaceState) {
  window.history.replaceState(null, "", window.location.href);
}

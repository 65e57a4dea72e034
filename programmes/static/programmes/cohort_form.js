// The cohort form: when the start date changes and the target end date is blank (or still the one
// this script filled in), fill in the due date of the programme's last session for a team whose
// session 1 is on the start date. The server applies the same rule when the end date is left blank
// (programmes.services.scheduling.cohort_default_end_date); this only shows it before saving.
(function () {
  "use strict";
  var data = document.getElementById("cohort-last-weeks");
  var start = document.querySelector("[data-cohort-start]");
  var end = document.querySelector("[data-cohort-end]");
  if (!data || !start || !end) { return; }
  var lastWeeks = JSON.parse(data.textContent);
  var template = document.querySelector("[data-cohort-template]");
  var filled = null; // the value this script last put in the end date

  function lastWeek() {
    var keys = Object.keys(lastWeeks);
    if (template) { return lastWeeks[template.value]; }
    return keys.length === 1 ? lastWeeks[keys[0]] : undefined;
  }

  function fill() {
    var weeks = lastWeek();
    if (!start.value || weeks === undefined) { return; }
    if (end.value && end.value !== filled) { return; } // typed by the person: keep it
    var day = new Date(start.value + "T00:00:00Z"); // UTC: whole days, whatever the clocks do
    if (isNaN(day.getTime())) { return; }
    day.setUTCDate(day.getUTCDate() + 7 * weeks);
    filled = day.toISOString().slice(0, 10);
    end.value = filled;
  }

  start.addEventListener("change", fill);
  if (template) { template.addEventListener("change", fill); }
})();

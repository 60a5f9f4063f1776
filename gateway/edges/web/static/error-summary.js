// Moves the focus to the summary of a refused form, so that a keyboard or screen-reader user
// starts from the list of problems (each a link to its field).
"use strict";
const summary = document.querySelector(".error-summary");
if (summary) {
  summary.focus();
}

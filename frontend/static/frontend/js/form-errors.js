// A form sent back with errors: focus moves to the summary of errors at the top (RGAA 11.10),
// so a screen reader announces it first. A file, not an inline script: the
// Content-Security-Policy runs no inline script.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const summary = document.getElementById("erreurs-formulaire");
  if (summary) summary.focus();
});

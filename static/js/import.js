/*
 * Import pages: checking or applying a file takes a few seconds, so a submitted form disables
 * its button and says what is happening (the text comes from the button's data-busy attribute,
 * translated by the template). Nothing else depends on this script.
 */
(function () {
  "use strict";
  document.querySelectorAll("form[data-import-form]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit][data-busy]");
      if (!button) {
        return;
      }
      // Disabled after the browser has collected the form data, so the submission still goes.
      window.setTimeout(function () {
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
        button.textContent = button.getAttribute("data-busy");
      }, 0);
    });
  });
})();

// Gives each select2 autocomplete box the name of its field. select2 draws the box as a
// role="textbox" with no accessible name (axe-core: aria-input-field-name); the <label> Django
// renders points at the hidden <select>.
"use strict";
(function () {
  function nameBoxes() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var box = document.getElementById("select2-" + select.id + "-container");
      var label = document.querySelector('label[for="' + select.id + '"]');
      if (box && label && !box.hasAttribute("aria-label")) {
        box.setAttribute("aria-label", label.textContent.replace(/:\s*$/, "").trim());
      }
    });
  }
  // Django's autocomplete.js draws the boxes in a jQuery ready handler; this one is
  // registered after it (this file loads later), so it runs once they exist.
  if (window.django && window.django.jQuery) {
    window.django.jQuery(nameBoxes);
  }
  window.addEventListener("load", nameBoxes);
  document.addEventListener("formset:added", nameBoxes);
})();

/* Chop: the little behaviour the pages need beyond htmx. */
(function () {
  "use strict";
  // The space switcher lives in switcher.js (an ES module).
  // <select data-autosubmit> sends its form on change (no inline onchange: the CSP forbids it).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.submit();
    }
  });
})();

/* Account pages: the resend countdown on "Get code" buttons, and revealing step 2 once a code
   has been sent. Everything else is plain forms and htmx attributes. */
(function () {
  "use strict";

  function countdown(btn) {
    if (btn.dataset.ticking) return;
    var left = parseInt(btn.dataset.countdown, 10);
    if (!(left > 0)) return;
    btn.dataset.ticking = "1";
    var wait = btn.dataset.wait || "%s";
    var show = function () { btn.textContent = wait.replace("%s", left); };
    btn.disabled = true;
    show();
    var timer = setInterval(function () {
      left -= 1;
      if (left <= 0) {
        clearInterval(timer);
        btn.disabled = false;
        btn.textContent = btn.dataset.again || btn.textContent;
        delete btn.dataset.ticking;
        delete btn.dataset.countdown;
      } else {
        show();
      }
    }, 1000);
  }

  function init(root) {
    root.querySelectorAll("[data-countdown]").forEach(countdown);
    if (document.querySelector("[data-code-sent]")) {
      document.querySelectorAll("[data-step2]").forEach(function (el) {
        if (el.hidden) {
          el.hidden = false;
          var first = el.querySelector("input");
          if (first) first.focus();
        }
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (e) { init(e.detail.elt.parentNode || document); });
})();

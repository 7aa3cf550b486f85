// Small behaviours shared by every page. Kept out of the templates so a strict
// Content-Security-Policy (script-src 'self') holds: no inline handlers anywhere.
(function () {
  "use strict";

  // <select data-autosubmit>: submit its form on change (the workspace switcher).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // <select data-sets-form-action>: the chosen option's value becomes the form's action.
  document.querySelectorAll("select[data-sets-form-action]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.action = select.value; });
  });

  // <span data-swatch="#rrggbb">: paint a colour swatch (set through the CSSOM: no inline style).
  document.querySelectorAll("[data-swatch]").forEach(function (swatch) {
    swatch.style.backgroundColor = swatch.dataset.swatch;
  });

  // <form data-confirm="Question?"> (or a submit button with data-confirm, which wins):
  // ask before a destructive POST.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var question = (button && button.dataset && button.dataset.confirm) ||
      (form.dataset && form.dataset.confirm);
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // <button data-copy="element-id">: copy that element's text, say so in the button.
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.dataset.copy);
      if (!source || !navigator.clipboard) return;
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = gettext("Copied");
      });
    });
  });

  // <button data-reveal="element-id">: show a hidden secret on demand.
  document.querySelectorAll("button[data-reveal]").forEach(function (button) {
    button.addEventListener("click", function () {
      var target = document.getElementById(button.dataset.reveal);
      if (target) { target.hidden = false; button.hidden = true; }
    });
  });
})();

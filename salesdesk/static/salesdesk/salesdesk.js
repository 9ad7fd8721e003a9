/* Salesdesk's behaviour in the browser, keyed on data attributes, so that no template carries
   inline code (onchange=, onsubmit=, onclick=, <script> blocks): a Content-Security-Policy
   without 'unsafe-inline' blocks all of those. Loaded once, deferred, by templates/base.html.

   data-autosubmit     on a form control: its form is submitted when the value changes
                       (the language switcher)
   data-confirm="…"    on a form, or on one of its submit buttons: the browser asks this question
                       first, and the form is not submitted unless the user agrees
   data-print          on a button: prints the page (the dossier card)
   data-shown-with="NAME=VALUE"
                       on an element inside a form: shown only while the form's control NAME has
                       VALUE (the upload form's defaults, one group per kind of file)

   The listeners sit on the document, so content htmx swaps in later behaves the same. */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var control = event.target;
    if (!(control instanceof Element) || !control.hasAttribute("data-autosubmit") || !control.form) {
      return;
    }
    if (typeof control.form.requestSubmit === "function") {
      control.form.requestSubmit(); // fires "submit", so a data-confirm on the form still asks
    } else {
      control.form.submit();
    }
  });

  // In the capture phase: the question comes before any other submit handler (htmx's included).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var question = button && button.hasAttribute("data-confirm")
      ? button.getAttribute("data-confirm")
      : form.getAttribute("data-confirm");
    if (question !== null && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  function showWith(form) {
    form.querySelectorAll("[data-shown-with]").forEach(function (element) {
      var rule = element.getAttribute("data-shown-with").split("=");
      var control = form.elements[rule[0]];
      element.hidden = Boolean(control) && control.value !== rule[1];
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target instanceof Element && event.target.form) {
      showWith(event.target.form);
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(showWith);
  });

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (target) {
      event.preventDefault();
      window.print();
    }
  });
})();

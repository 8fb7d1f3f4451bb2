/* Staff report page: the pin on a small map, answer templates, one submission per click,
 * and focus on what the page has to say (errors first, then the result of the last action). */
(function () {
  "use strict";

  function initMap() {
    var box = document.getElementById("report-map");
    if (!box || !window.L || !window.GeoMap) return;
    GeoMap.pinMap(box, function () { document.getElementById("map-note").hidden = false; });
  }

  function initTemplates() {
    var picker = document.getElementById("template-picker");
    var data = document.getElementById("answer-templates");
    var body = document.getElementById("answer-body");
    if (!picker || !data || !body) return;
    var templates = JSON.parse(data.textContent);
    var select = document.getElementById("answer-template");
    var status = document.getElementById("answer-template-status");
    picker.hidden = false;
    document.getElementById("answer-template-insert").addEventListener("click", function () {
      var text = templates[select.value];
      if (!text) {
        status.textContent = status.dataset.none;
        select.focus();
        return;
      }
      // Insert at the cursor (or replace the selection); an empty box just takes the template.
      var start = body.selectionStart, end = body.selectionEnd, value = body.value;
      if (!value.trim()) {
        body.value = text;
      } else {
        body.value = value.slice(0, start) + text + value.slice(end);
      }
      body.focus();
      var caret = value.trim() ? start + text.length : text.length;
      body.setSelectionRange(caret, caret);
      status.textContent = "";
      window.setTimeout(function () { status.textContent = status.dataset.done; }, 50);
    });
  }

  function initForms() {
    // A second click while the first request is on its way would only earn a "wrong state" error.
    Array.prototype.forEach.call(document.querySelectorAll(".staff-report form[method=post]"), function (form) {
      form.addEventListener("submit", function () {
        Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (button) {
          window.setTimeout(function () { button.disabled = true; }, 0);
        });
      });
    });
    // Back to this page from the browser's cache: the buttons work again.
    window.addEventListener("pageshow", function () {
      Array.prototype.forEach.call(document.querySelectorAll(".staff-report button[disabled]"), function (button) {
        button.disabled = false;
      });
    });
  }

  function initFocus() {
    var target = document.getElementById("error-summary") || document.querySelector(".messages");
    if (!target) return;
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus();
  }

  initMap();
  initTemplates();
  initForms();
  initFocus();
})();

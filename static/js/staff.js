/* Staff report page: the pin on a small map, answer templates, one submission per click,
 * and focus on what the page has to say (errors first, then the result of the last action). */
(function () {
  "use strict";

  function initMap() {
    var box = document.getElementById("report-map");
    if (!box || !window.L || !window.GeoMap) return;
    var d = box.dataset;
    var pin = [Number(d.lat), Number(d.lng)];
    var map = GeoMap.create(box, {
      center: pin, zoom: 15, levels: [], tileUrl: d.tileUrl, attribution: d.attribution,
      onTilesUnavailable: function () { document.getElementById("map-note").hidden = false; }
    });
    L.marker(pin, {
      alt: d.pinAlt, keyboard: false,
      icon: L.icon({ iconUrl: d.icon, iconRetinaUrl: d.icon2x, shadowUrl: d.iconShadow, iconSize: [25, 41], iconAnchor: [12, 41], shadowSize: [41, 41] })
    }).addTo(map);
    if (d.wardUrl) {
      fetch(d.wardUrl, { headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (feature) {
          L.geoJSON(feature, { interactive: false, style: function () { return { color: "#0b5394", weight: 2, fillOpacity: 0.05 }; } }).addTo(map);
        })
        .catch(function () { /* the pin alone still says where */ });
    }
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

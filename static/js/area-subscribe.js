/* The area subscription page: a point chosen on the map (GeoMap.pagePinPicker) fills the latitude and
 * longitude fields, which stay visible and typeable without the map. */
(function () {
  "use strict";

  var form = document.getElementById("area-form");
  if (!form || !window.L || !window.GeoMap || !window.GeoMap.pagePinPicker) return;
  var text = JSON.parse(document.getElementById("area-text").textContent);
  function $(id) { return document.getElementById(id); }

  Array.prototype.forEach.call(form.querySelectorAll(".js-only"), function (node) { node.hidden = false; });
  var picker = GeoMap.pagePinPicker("area-map", form.dataset, text, {
    onPin: function (latlng) {
      $("id_lat").value = latlng.lat.toFixed(6);
      $("id_lng").value = latlng.lng.toFixed(6);
    },
    onClear: function () {
      $("id_lat").value = "";
      $("id_lng").value = "";
    }
  });
  window.AreaSubscribe = { map: picker.map };
  var done = $("area-done");
  if (done) done.focus();
})();

/* The chat pin page: the report form's pin map (GeoMap.pinPicker) and a button that sends the pin into
 * the conversation. The button is disabled without a pin, or with one found outside our area (the server
 * checks again). */
(function () {
  "use strict";

  var form = document.getElementById("pin-form");
  if (!form || !window.L || !window.GeoMap || !window.GeoMap.pinPicker) return;
  var text = JSON.parse(document.getElementById("chat-pin-text").textContent);
  var data = form.dataset;
  function $(id) { return document.getElementById(id); }

  Array.prototype.forEach.call(form.querySelectorAll(".js-only"), function (node) { node.hidden = false; });
  var send = $("pin-send");

  var picker = GeoMap.pagePinPicker("pin-map", data, text, {
    onPin: function (latlng) {
      $("pin-lat").value = latlng.lat.toFixed(6);
      $("pin-lng").value = latlng.lng.toFixed(6);
      send.disabled = false;
    },
    onLocated: function (location) { send.disabled = !location; },
    onClear: function () {
      $("pin-lat").value = "";
      $("pin-lng").value = "";
      send.disabled = true;
    }
  });
  window.ChatPin = { map: picker.map, setPin: picker.setPin };

  var focus = $("pin-sent") || $("pin-error");
  if (focus) focus.focus();
})();

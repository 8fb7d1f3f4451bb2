/* The home page's map of the area, with the warnings in force: settings from the map element's data-* attributes. */
(function () {
  "use strict";
  var box = document.getElementById("map");
  if (!box) return;
  var d = box.dataset;
  var map = GeoMap.create(box, {
    center: [Number(d.lat), Number(d.lng)],
    zoom: 10,
    tileUrl: d.tileUrl,
    attribution: d.attribution,
    onTilesUnavailable: function () { document.getElementById("map-note").hidden = false; }
  });
  var text = document.getElementById("alert-text");
  if (d.alertsUrl && text && window.AlertLayer) {
    AlertLayer.add(map, d.alertsUrl, JSON.parse(text.textContent)).catch(function () { /* the list above names them */ });
  }
})();

/* The public warnings page: the warnings in force on the map (alert-layer.js), fitted to their areas. */
(function () {
  "use strict";
  var box = document.getElementById("alert-map");
  if (!box || !window.L || !window.GeoMap || !window.AlertLayer) return;
  var d = box.dataset;
  var text = JSON.parse(document.getElementById("alert-text").textContent);
  var map = GeoMap.create(box, {
    center: [Number(d.lat), Number(d.lng)], zoom: 9, levels: [1, 2], tileUrl: d.tileUrl, attribution: d.attribution,
    onTilesUnavailable: function () { document.getElementById("map-note").hidden = false; }
  });
  window.alertMap = map;
  AlertLayer.add(map, d.alertsUrl, text).then(function (layer) {
    if (!layer) return;
    var bounds = layer.getBounds();
    if (bounds.isValid()) {
      var fit = map.fitBounds;
      fit.call(map, bounds, { padding: [16, 16], maxZoom: 13 });
      // GeoMap fits the province once its outline arrives; the warnings' own view wins.
      map.fitBounds = function () { map.fitBounds = fit; return map; };
    }
  }).catch(function () { /* the list beside it still says everything */ });
})();

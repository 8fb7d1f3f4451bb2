/* A small map of one warning's area (public and staff detail pages), over our own boundaries. */
(function () {
  "use strict";
  var box = document.getElementById("alert-map");
  var data = document.getElementById("alert-area-geojson");
  if (!box || !data || !window.L || !window.GeoMap) return;
  var d = box.dataset;
  var map = GeoMap.create(box, {
    center: [Number(d.lat), Number(d.lng)], zoom: 10, levels: [1, 2], tileUrl: d.tileUrl, attribution: d.attribution,
    onTilesUnavailable: function () { document.getElementById("map-note").hidden = false; }
  });
  var area = L.geoJSON(JSON.parse(data.textContent), {
    style: function () { return { color: "#b91c1c", weight: 3, fillColor: "#ef4444", fillOpacity: 0.25 }; }
  }).addTo(map);
  var bounds = area.getBounds();
  if (bounds.isValid()) {
    var fit = map.fitBounds;
    fit.call(map, bounds, { padding: [12, 12] });
    // GeoMap fits the province once its outline arrives; the area's own view wins.
    map.fitBounds = function () { map.fitBounds = fit; return map; };
  }
})();

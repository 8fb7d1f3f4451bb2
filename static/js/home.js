/* The home page's map of the area: its settings come from the map element's data-* attributes. */
(function () {
  "use strict";
  var box = document.getElementById("map");
  if (!box) return;
  var d = box.dataset;
  GeoMap.create(box, {
    center: [Number(d.lat), Number(d.lng)],
    zoom: 10,
    tileUrl: d.tileUrl,
    attribution: d.attribution,
    onTilesUnavailable: function () { document.getElementById("map-note").hidden = false; }
  });
})();

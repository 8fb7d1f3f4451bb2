/* Shared map set-up: a configurable basemap plus our own boundaries drawn as the
 * background, so the map stays usable when no tile server can be reached. */
(function () {
  "use strict";

  function boundaryStyle(level) {
    if (level === 1) return { color: "#073763", weight: 3, fill: true, fillColor: "#dfe9f3", fillOpacity: 0.35 };
    if (level === 2) return { color: "#0b5394", weight: 2, fill: false };
    return { color: "#5b7fa6", weight: 1, dashArray: "3 3", fill: false };
  }

  function loadBoundaries(map, level, parent, simplify) {
    var url = "/api/v1/boundaries/?geometry=true&limit=1000&level=" + level +
      (parent ? "&parent=" + encodeURIComponent(parent) : "") + "&simplify=" + simplify;
    return fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (page) {
        var layer = L.geoJSON(page.results, {
          style: function () { return boundaryStyle(level); },
          onEachFeature: function (feature, lyr) {
            lyr.bindTooltip(feature.properties.name, { sticky: true });
          }
        });
        layer.addTo(map);
        return layer;
      });
  }

  window.GeoMap = {
    create: function (element, options) {
      var map = L.map(element, { zoomControl: true }).setView(options.center, options.zoom || 10);
      var tiles = L.tileLayer(options.tileUrl, { maxZoom: 19, attribution: options.attribution });
      var failures = 0;
      tiles.on("tileerror", function () {
        failures += 1;
        if (failures === 4 && options.onTilesUnavailable) options.onTilesUnavailable();
      });
      tiles.addTo(map);
      var bounds = null;
      var levels = options.levels || [1, 2, 3];
      Promise.all(levels.map(function (level) {
        return loadBoundaries(map, level, null, level === 3 ? 0.0005 : 0.001).then(function (layer) {
          if (level === 1 && layer.getLayers().length) {
            bounds = layer.getBounds();
            map.fitBounds(bounds);
          }
          return layer;
        });
      })).catch(function () { /* the basemap still shows */ });
      return map;
    }
  };
})();

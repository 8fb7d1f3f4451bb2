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
    /* A small map of one report: the pin and, when the data says where, its ward's outline.
     * Reads the element's data-* attributes (lat, lng, tile-url, attribution, pin-alt, icon…). */
    pinMap: function (box, onTilesUnavailable) {
      var d = box.dataset;
      var pin = [Number(d.lat), Number(d.lng)];
      // Only the report's ward is drawn (levels: []): the whole province would hide the pin's surroundings.
      var map = this.create(box, {
        center: pin, zoom: 15, levels: [], tileUrl: d.tileUrl, attribution: d.attribution,
        onTilesUnavailable: onTilesUnavailable
      });
      L.marker(pin, {
        alt: d.pinAlt, keyboard: false,
        icon: L.icon({ iconUrl: d.icon, iconRetinaUrl: d.icon2x, shadowUrl: d.iconShadow, iconSize: [25, 41], iconAnchor: [12, 41], shadowSize: [41, 41] })
      }).addTo(map);
      if (d.wardUrl) {
        fetch(d.wardUrl, { headers: { Accept: "application/json" } })
          .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
          .then(function (feature) {
            var ward = L.geoJSON(feature, { interactive: false, style: function () { return { color: "#0b5394", weight: 2, fillOpacity: 0.05 }; } }).addTo(map);
            // The whole ward in view, for context: where in it the pin lies.
            map.fitBounds(ward.getBounds().extend(pin), { maxZoom: 16, padding: [12, 12] });
          })
          .catch(function () { /* the pin alone still says where */ });
      }
      return map;
    },
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

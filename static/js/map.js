/* Shared map set-up: a configurable basemap plus our own boundaries drawn as the
 * background, so the map stays usable when no tile server can be reached. */
(function () {
  "use strict";

  function boundaryStyle(level) {
    if (level === 1) return { color: "#073763", weight: 3, fill: true, fillColor: "#dfe9f3", fillOpacity: 0.35 };
    if (level === 2) return { color: "#0b5394", weight: 2, fill: false };
    return { color: "#5b7fa6", weight: 1, dashArray: "3 3", fill: false };
  }

  // Simplified outlines (tolerance in degrees): a ward's detail is lost below a pixel at town zooms.
  var SIMPLIFY = { 1: 0.001, 2: 0.001, 3: 0.0005 };

  function loadBoundaries(target, level, parent, simplify) {
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
        layer.addTo(target);
        return layer;
      });
  }

  /* Borders as overlays the user switches on and off (Leaflet's layer control). Each level loads
   * the first time it is shown; levels in `hidden` start switched off. */
  function borderControl(map, labels, hidden, onProvince) {
    var overlays = {};
    [1, 2, 3].forEach(function (level) {
      var group = L.featureGroup();
      var loaded = false;
      group.on("add", function () {
        if (loaded) return;
        loaded = true;
        loadBoundaries(group, level, null, SIMPLIFY[level])
          .then(function (layer) { if (level === 1 && onProvince) onProvince(layer); })
          .catch(function () { loaded = false; /* the basemap still shows; a later toggle retries */ });
      });
      overlays[labels[level]] = group;
      if (hidden.indexOf(level) < 0) group.addTo(map);
    });
    var wide = window.matchMedia("(min-width: 48rem)").matches;
    var control = L.control.layers(null, overlays, { collapsed: !wide, position: "topright" }).addTo(map);
    var container = control.getContainer();
    container.setAttribute("aria-label", labels.title);
    var toggle = container.querySelector(".leaflet-control-layers-toggle");
    if (toggle) { toggle.setAttribute("title", labels.title); toggle.setAttribute("aria-label", labels.title); }
    if (labels.title) {
      var heading = document.createElement("p");
      heading.className = "map-layers-title";
      heading.textContent = labels.title;
      var list = container.querySelector(".leaflet-control-layers-list");
      if (list) list.insertBefore(heading, list.firstChild);
    }
    return control;
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
      if (options.borders) {
        // {labels: {1: …, 2: …, 3: …, title: …}, hidden: [3]}: switchable borders, the province fitted.
        map.borderControl = borderControl(map, options.borders.labels, options.borders.hidden || [], function (layer) {
          if (layer.getLayers().length) map.fitBounds(layer.getBounds());
        });
        return map;
      }
      var bounds = null;
      var levels = options.levels || [1, 2, 3];
      Promise.all(levels.map(function (level) {
        return loadBoundaries(map, level, null, SIMPLIFY[level]).then(function (layer) {
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

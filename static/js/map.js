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

  // Wards are ten thousand small outlines over the country: they load for the view on screen,
  // and only from the zoom where they can be told apart.
  var WARD_MIN_ZOOM = 11;
  // Each side of the view is widened by this share, so short pans need no new download.
  var VIEW_PAD = 0.25;
  var MOVE_DELAY_MS = 250;
  var PAGE_SIZE = 1000;

  /* Text made safe to put inside HTML: every server-given string that Leaflet (tooltips, popups,
   * icons) or innerHTML will parse goes through it. */
  function escapeHtml(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function boundaryLayer(collection, level) {
    return L.geoJSON(collection, {
      style: function () { return boundaryStyle(level); },
      onEachFeature: function (feature, lyr) {
        // Leaflet puts a tooltip's string in as HTML: a unit's name is text.
        lyr.bindTooltip(escapeHtml(feature.properties.name), { sticky: true });
      }
    });
  }

  function getJson(url, signal) {
    var init = { headers: { Accept: "application/json" } };
    if (signal) init.signal = signal;
    return fetch(url, init).then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }

  /* All the features of a boundary list, page after page. The offset is ours rather than the
   * API's absolute `next` link, whose scheme a proxy in front may get wrong. */
  function getFeatures(url, signal) {
    var features = [];
    function more() {
      return getJson(url + "&offset=" + features.length, signal).then(function (page) {
        var got = page.results.features;
        features = features.concat(got);
        return got.length && features.length < page.count ? more() : features;
      });
    }
    return more();
  }

  function boundariesUrl(level, parent, simplify, bbox) {
    return "/api/v1/boundaries/?geometry=true&limit=" + PAGE_SIZE + "&level=" + level +
      (parent ? "&parent=" + encodeURIComponent(parent) : "") + "&simplify=" + simplify +
      (bbox ? "&bbox=" + bbox : "");
  }

  function loadBoundaries(target, level, parent, simplify) {
    return getJson(boundariesUrl(level, parent, simplify, null)).then(function (page) {
      var layer = boundaryLayer(page.results, level);
      layer.addTo(target);
      // The filled province stays beneath the outlines inside it, whichever answer came first.
      if (level === 1) layer.bringToBack();
      return layer;
    });
  }

  /* The API's bbox (west,south,east,north) of padded bounds, rounded outwards and kept on Earth. */
  function bboxParam(bounds) {
    function down(v) { return Math.floor(v * 1e4) / 1e4; }
    function up(v) { return Math.ceil(v * 1e4) / 1e4; }
    function clamp(v, limit) { return Math.max(-limit, Math.min(limit, v)); }
    return [
      down(clamp(bounds.getWest(), 180)), down(clamp(bounds.getSouth(), 90)),
      up(clamp(bounds.getEast(), 180)), up(clamp(bounds.getNorth(), 90))
    ].join(",");
  }

  /* Keeps `group` filled with the wards of the map's view while the group is on the map: loaded
   * again after each move (debounced) unless the last download still covers the view, emptied
   * below WARD_MIN_ZOOM. A newer request aborts the older one, and an answer arriving late is
   * dropped. A failed download leaves the map as it is; the next move tries again. */
  function wardsInView(map, group, level, simplify) {
    var timer = null;
    var request = 0;         // the number of the latest request; older answers are ignored
    var controller = null;   // aborts the request in flight, where the browser can
    var covered = null;      // the padded bounds the group's content was loaded for

    function cancel() {
      request += 1;
      if (controller) controller.abort();
      controller = null;
    }

    function refresh() {
      timer = null;
      if (!map.hasLayer(group)) return;
      if (map.getZoom() < WARD_MIN_ZOOM) {
        cancel();
        group.clearLayers();
        covered = null;
        return;
      }
      var view = map.getBounds();
      if (covered && covered.contains(view)) return;
      cancel();
      var mine = request;
      var wanted = view.pad(VIEW_PAD);
      controller = window.AbortController ? new window.AbortController() : null;
      getFeatures(boundariesUrl(level, null, simplify, bboxParam(wanted)), controller && controller.signal)
        .then(function (features) {
          if (mine !== request) return;
          controller = null;
          group.clearLayers();
          boundaryLayer({ type: "FeatureCollection", features: features }, level).addTo(group);
          covered = wanted;
        })
        .catch(function () {
          if (mine === request) controller = null;
          /* aborted, or failed: the basemap and other borders still show; a later move retries */
        });
    }

    function later() {
      if (timer !== null) window.clearTimeout(timer);
      timer = window.setTimeout(refresh, MOVE_DELAY_MS);
    }

    map.on("moveend", later);
    group.on("add", refresh);
    group.on("remove", function () {
      if (timer !== null) window.clearTimeout(timer);
      timer = null;
      // A half-loaded view is dropped; what was shown stays in the group for a quick switch back.
      cancel();
    });
    if (map.hasLayer(group)) refresh();
  }

  /* Borders as overlays the user switches on and off (Leaflet's layer control). Provinces and
   * districts load the first time they are shown; wards follow the view (wardsInView). Levels in
   * `hidden` start switched off. */
  function borderControl(map, labels, hidden, onProvince) {
    var overlays = {};
    [1, 2, 3].forEach(function (level) {
      var group = L.featureGroup();
      if (level === 3) {
        wardsInView(map, group, level, SIMPLIFY[level]);
      } else {
        var loaded = false;
        group.on("add", function () {
          if (loaded) return;
          loaded = true;
          loadBoundaries(group, level, null, SIMPLIFY[level])
            .then(function (layer) { if (level === 1 && onProvince) onProvince(layer); })
            .catch(function () { loaded = false; /* the basemap still shows; a later toggle retries */ });
        });
      }
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

  // Our basemap's look (layers of maps/basemap.py): water, rivers, roads by class, and the names of
  // places, roads and rivers, placed without overlapping by protomaps-leaflet.
  var ROAD_WIDTH = { motorway: 5, trunk: 5, primary: 4, secondary: 3.5, tertiary: 3 };
  var ROAD_COLOUR = { motorway: "#e8925a", trunk: "#f2a65a", primary: "#f6cf6f", secondary: "#f7eda0" };
  var PLACE_FONT = { city: "600 15px sans-serif", town: "600 13px sans-serif" };

  function vectorBasemap(url, attribution) {
    var P = window.protomapsL;
    function kind(f) { return f.props.kind; }
    function roadWidth(extra) {
      return function (z, f) { return ((ROAD_WIDTH[kind(f)] || 2) + extra) * (z >= 16 ? 1.6 : 1); };
    }
    var halo = { fill: "#222", stroke: "#fff", width: 3 };
    return P.leafletLayer({
      url: url, maxDataZoom: 16, levelDiff: 0, maxZoom: 19, attribution: attribution, backgroundColor: "#f2efe9",
      paintRules: [
        { dataLayer: "water", symbolizer: new P.PolygonSymbolizer({ fill: "#aad3df" }) },
        { dataLayer: "waterways", symbolizer: new P.LineSymbolizer({ color: "#8cc2d8", width: function (z, f) { return kind(f) === "river" ? 4 : 1.5; } }) },
        { dataLayer: "roads", symbolizer: new P.LineSymbolizer({ color: "#c4bcb0", width: roadWidth(1.5) }) },
        { dataLayer: "roads", symbolizer: new P.LineSymbolizer({ color: function (z, f) { return ROAD_COLOUR[kind(f)] || "#ffffff"; }, width: roadWidth(0) }) }
      ],
      labelRules: [
        { dataLayer: "places", symbolizer: new P.CenteredTextSymbolizer(L.extend({ labelProps: ["name"], font: function (z, f) { return PLACE_FONT[kind(f)] || "12px sans-serif"; } }, halo)) },
        { dataLayer: "roads", symbolizer: new P.LineLabelSymbolizer(L.extend({ labelProps: ["name"], font: "11px sans-serif" }, halo, { fill: "#444", width: 2 })) },
        { dataLayer: "waterways", symbolizer: new P.LineLabelSymbolizer(L.extend({ labelProps: ["name"], font: "italic 11px sans-serif" }, halo, { fill: "#1f5f8b", width: 2 })) }
      ]
    });
  }

  function basemapLayer(url, attribution) {
    if (/\.mvt$/.test(url) && window.protomapsL) return vectorBasemap(url, attribution);
    if (url) return L.tileLayer(url, { maxZoom: 19, attribution: attribution });
    return null;
  }

  /* Without a basemap our boundaries are the map: district names (and from WARD_LABEL_ZOOM the wards')
   * are written at their units, and a box names the ward and district under the pointer (asked of the
   * point look-up once the pointer rests, or at a tap on a phone), at any zoom. */
  var WARD_LABEL_ZOOM = 12;
  var POINTER_REST_MS = 250;

  function unitNames(map) {
    map.getContainer().classList.add("map-no-basemap");
    var labels = { 2: L.layerGroup().addTo(map), 3: L.layerGroup().addTo(map) };
    var box = L.control({ position: "bottomleft" });
    box.onAdd = function () {
      var div = L.DomUtil.create("div", "map-unit-under");
      div.setAttribute("aria-live", "polite");
      div.hidden = true;
      return div;
    };
    box.addTo(map);

    var timer = null;
    var asked = 0;
    function nameUnder(latlng) {
      var mine = ++asked;
      getJson("/api/v1/boundaries/locate?lat=" + latlng.lat.toFixed(6) + "&lng=" + latlng.lng.toFixed(6))
        .then(function (location) {
          if (mine !== asked) return;
          var parts = [location.ward, location.district].filter(Boolean).map(function (unit) { return unit.name; });
          var div = box.getContainer();
          div.textContent = parts.join(", ");
          div.hidden = !parts.length;
        })
        .catch(function () { /* outside our units, or offline: the last name stays */ });
    }
    map.on("mousemove", function (e) {
      clearTimeout(timer);
      timer = setTimeout(function () { nameUnder(e.latlng); }, POINTER_REST_MS);
    });
    map.on("click", function (e) { clearTimeout(timer); nameUnder(e.latlng); });

    function placeLabels() {
      var shown = map.getZoom() >= WARD_LABEL_ZOOM ? 3 : 2;
      [2, 3].forEach(function (level) {
        var on = map.hasLayer(labels[level]);
        if (level === shown && !on) labels[level].addTo(map);
        if (level !== shown && on) map.removeLayer(labels[level]);
      });
    }
    map.on("zoomend", placeLabels);
    map.on("layeradd", function (e) {
      var props = e.layer.feature && e.layer.feature.properties;
      if (!props || !(e.layer instanceof L.Polygon) || (props.level !== 2 && props.level !== 3)) return;
      // The API's label point lies inside the unit (ST_PointOnSurface); the centre of its box may not.
      var at = props.label_point ? L.latLng(props.label_point[1], props.label_point[0]) : e.layer.getBounds().getCenter();
      var label = L.marker(at, {
        interactive: false, keyboard: false,
        icon: L.divIcon({ className: "map-unit-label map-unit-label-" + props.level, html: "<span>" + escapeHtml(props.name) + "</span>", iconSize: null })
      });
      labels[props.level].addLayer(label);
      e.layer.on("remove", function () { labels[props.level].removeLayer(label); });
    });
    placeLabels();
  }

  var textNode = document.getElementById("map-script-text");

  window.GeoMap = {
    /* What the map scripts say, translated (templates/_map_scripts.html, geo/context_processors.py). */
    text: textNode ? JSON.parse(textNode.textContent) : {},

    /* A translated string's "%(name)s" placeholders (Django's style) filled from `values`. */
    fmt: function (template, values) {
      return template.replace(/%\((\w+)\)s/g, function (_, key) { return String(values[key]); });
    },

    escapeHtml: escapeHtml,

    /* The pin of our maps (urls from data-icon, data-icon-2x, data-icon-shadow: {icon, icon2x, iconShadow}).
     * The 25×41 picture is padded to a 44 px tap target (css/map-basemap.css .map-pin): the anchor, its
     * tip, moves by the padding; the shadow keeps the picture's own. */
    pinIcon: function (urls) {
      return L.icon({
        iconUrl: urls.icon, iconRetinaUrl: urls.icon2x, shadowUrl: urls.iconShadow, className: "map-pin",
        iconSize: [25, 41], iconAnchor: [12 + 9, 41 + 2], shadowSize: [41, 41], shadowAnchor: [12, 41]
      });
    },

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
        icon: this.pinIcon(d)
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
    /* A map of ours. Its basemap (options.tileUrl, the pages' MAP_TILE_URL) is our own vector tiles
     * (a URL ending in .mvt), an outside raster tile server, or none: then map.hasBasemap is false and
     * our boundaries carry the map, their names written on it and the unit under the pointer named. */
    create: function (element, options) {
      var map = L.map(element, { zoomControl: true }).setView(options.center, options.zoom || 10);
      var tiles = basemapLayer(options.tileUrl || "", options.attribution);
      map.hasBasemap = tiles !== null;
      if (tiles) {
        var failures = 0;
        tiles.on("tileerror", function () {
          failures += 1;
          if (failures === 4 && options.onTilesUnavailable) options.onTilesUnavailable();
        });
        tiles.addTo(map);
      } else {
        unitNames(map);
      }
      if (options.borders) {
        // {labels: {1: …, 2: …, 3: …, title: …}, hidden: [3]}: switchable borders, the province fitted.
        map.borderControl = borderControl(map, options.borders.labels, options.borders.hidden || [], function (layer) {
          if (layer.getLayers().length) map.fitBounds(layer.getBounds());
        });
        return map;
      }
      var bounds = null;
      var levels = options.levels || [1, 2, 3];
      if (levels.indexOf(3) >= 0) {
        wardsInView(map, L.featureGroup().addTo(map), 3, SIMPLIFY[3]);
        levels = levels.filter(function (level) { return level !== 3; });
      }
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

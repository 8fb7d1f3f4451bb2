/* The warnings in force as a layer of their own on any of our maps (warnings page, home, report map).
 * Larger areas are drawn first, so a smaller warning lying over a larger one stays on top and clickable;
 * a click lists every warning covering that point, whichever shape took it. */
(function () {
  "use strict";
  var COLORS = { Extreme: "#7f1d1d", Severe: "#b91c1c", Moderate: "#c2410c", Minor: "#a16207", Unknown: "#475569" };

  function ringArea(ring) {
    var sum = 0;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) sum += (ring[j][0] + ring[i][0]) * (ring[j][1] - ring[i][1]);
    return Math.abs(sum / 2);
  }
  function polygons(geometry) {
    if (!geometry) return [];
    return geometry.type === "Polygon" ? [geometry.coordinates] : geometry.type === "MultiPolygon" ? geometry.coordinates : [];
  }
  function area(geometry) {
    return polygons(geometry).reduce(function (total, rings) {
      return total + ringArea(rings[0]) - rings.slice(1).reduce(function (holes, ring) { return holes + ringArea(ring); }, 0);
    }, 0);
  }
  function inRing(x, y, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }
  function covers(geometry, latlng) {
    return polygons(geometry).some(function (rings) {
      return inRing(latlng.lng, latlng.lat, rings[0]) && !rings.slice(1).some(function (hole) { return inRing(latlng.lng, latlng.lat, hole); });
    });
  }
  function when(iso) {
    var date = new Date(iso);
    return isNaN(date.getTime()) ? "" : date.toLocaleString(document.documentElement.lang === "en" ? "en-GB" : "vi-VN",
      { hour: "2-digit", minute: "2-digit", day: "2-digit", month: "2-digit", year: "numeric" });
  }

  window.AlertLayer = {
    area: area,
    /* Fetch the warnings in force from `url` (GeoJSON) and draw them on `map`; resolves to the layer (null: none). */
    add: function (map, url, text) {
      var esc = GeoMap.escapeHtml;
      return fetch(url, { headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (collection) {
          var features = (collection.features || []).slice().sort(function (a, b) { return area(b.geometry) - area(a.geometry); });
          if (!features.length) return null;
          if (!map.getPane("alerts")) map.createPane("alerts").style.zIndex = 420;
          var layer = L.geoJSON({ type: "FeatureCollection", features: features }, {
            pane: "alerts",
            style: function (f) {
              var color = COLORS[f.properties.severity] || COLORS.Unknown;
              return { color: color, weight: 2, fillColor: color, fillOpacity: 0.2 };
            }
          });
          layer.on("click", function (e) {
            var here = features.filter(function (f) { return covers(f.geometry, e.latlng); });
            if (!here.length) here = [e.layer.feature];
            // Smallest first: the warning that took the click on top of the list.
            here.reverse();
            var items = here.map(function (f) {
              var p = f.properties;
              return '<li data-alert-id="' + esc(String(p.id)) + '"><strong><a href="' + esc(p.url) + '">' + esc(p.headline) + "</a></strong><br>" +
                esc(p.category_label) + " · " + esc(p.severity_label) + "<br>" + esc(when(p.starts_at)) + " " + esc(text.until) + " " + esc(when(p.ends_at)) + "</li>";
            });
            L.popup({ maxWidth: 320 }).setLatLng(e.latlng)
              .setContent('<div class="alert-popup"><p>' + esc(text.here) + '</p><ul class="alert-popup-list">' + items.join("") + "</ul></div>")
              .openOn(map);
          });
          return layer.addTo(map);
        });
    }
  };
})();

/* The report map (/ban-do/) names its map window.reportMap; a hidden #alert-layer element there asks for the warnings. */
(function () {
  "use strict";
  var hook = document.getElementById("alert-layer");
  if (!hook || !window.reportMap || !window.AlertLayer) return;
  AlertLayer.add(window.reportMap, hook.dataset.url, { here: hook.dataset.here, until: hook.dataset.until })
    .catch(function () { /* the reports still show */ });
})();

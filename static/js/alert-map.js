/* The public warnings page: the current warnings' areas on the map, linked with the list. */
(function () {
  "use strict";
  var box = document.getElementById("alert-map");
  if (!box || !window.L || !window.GeoMap) return;
  var d = box.dataset;
  var text = JSON.parse(document.getElementById("alert-text").textContent);
  var COLORS = { Extreme: "#7f1d1d", Severe: "#b91c1c", Moderate: "#c2410c", Minor: "#a16207", Unknown: "#475569" };

  var escapeHtml = GeoMap.escapeHtml;
  function when(iso) {
    var date = new Date(iso);
    return isNaN(date.getTime()) ? "" : date.toLocaleString("vi-VN", { hour: "2-digit", minute: "2-digit", day: "2-digit", month: "2-digit", year: "numeric" });
  }

  var map = GeoMap.create(box, {
    center: [Number(d.lat), Number(d.lng)], zoom: 9, levels: [1, 2], tileUrl: d.tileUrl, attribution: d.attribution,
    onTilesUnavailable: function () { document.getElementById("map-note").hidden = false; }
  });
  fetch(d.alertsUrl, { headers: { Accept: "application/json" } })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (collection) {
      if (!collection.features.length) return;
      var layer = L.geoJSON(collection, {
        style: function (f) {
          var color = COLORS[f.properties.severity] || COLORS.Unknown;
          return { color: color, weight: 2, fillColor: color, fillOpacity: 0.25 };
        },
        onEachFeature: function (f, lyr) {
          var p = f.properties;
          lyr.bindPopup('<div class="alert-popup"><p><strong>' + escapeHtml(p.headline) + "</strong></p><p>" +
            escapeHtml(p.category_label) + " · " + escapeHtml(p.severity_label) + "</p><p>" +
            escapeHtml(when(p.starts_at)) + " " + escapeHtml(text.until) + " " + escapeHtml(when(p.ends_at)) + "</p>" +
            '<p><a href="' + escapeHtml(p.url) + '">' + escapeHtml(text.details) + "</a></p></div>");
        }
      }).addTo(map);
      var bounds = layer.getBounds();
      if (bounds.isValid()) {
        var fit = map.fitBounds;
        fit.call(map, bounds, { padding: [16, 16], maxZoom: 13 });
        map.fitBounds = function () { map.fitBounds = fit; return map; };
      }
    })
    .catch(function () { /* the list above still says everything */ });
})();

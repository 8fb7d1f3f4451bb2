/* What the two filtered maps share (the public report map, report-map.js, and the officers'
 * heatmap, heatmap.js): reading an API answer, the view's bbox, the error line, one list item per
 * report, and reloading shortly after the map moves or the filter form changes. Loaded after map.js. */
(function () {
  "use strict";

  var escapeHtml = GeoMap.escapeHtml;
  // Markers closer than this on screen are at one spot (spread below).
  var SAME_SPOT_PX = 6;

  // A marker's tap target (static/css/map-basemap.css .map-hit): spread markers' targets must not overlap.
  var TAP_PX = 44;

  function spreadAngle(i, n) { return (2 * Math.PI * i) / n - Math.PI / 2; }

  /* The smallest circle (px) on which n markers, at spreadAngle, keep their TAP_PX squares apart: two
   * squares are apart when their middles differ by TAP_PX along x or along y. */
  function spreadRadius(n) {
    var radius = TAP_PX / 2;
    for (var i = 0; i < n; i++) {
      for (var j = i + 1; j < n; j++) {
        var a = spreadAngle(i, n), b = spreadAngle(j, n);
        var apart = Math.max(Math.abs(Math.cos(a) - Math.cos(b)), Math.abs(Math.sin(a) - Math.sin(b)));
        radius = Math.max(radius, TAP_PX / apart);
      }
    }
    return radius;
  }

  window.MapView = {
    /* GET url as JSON, answered as {ok, body}: a refusal's body is read too, since it carries a `detail`. */
    getAnswer: function (url, signal) {
      var init = { headers: { Accept: "application/json" }, credentials: "same-origin" };
      if (signal) init.signal = signal;
      return fetch(url, init).then(function (r) {
        return r.json().then(function (body) { return { ok: r.ok, body: body }; });
      });
    },

    /* A source of abort signals where each new one aborts the one before: only the latest answer counts. */
    latest: function () {
      var controller = null;
      return function () {
        if (controller) controller.abort();
        controller = new AbortController();
        return controller.signal;
      };
    },

    /* The API's bbox (west,south,east,north) of what is on screen, kept within Web Mercator's latitudes. */
    bbox: function (map) {
      var b = map.getBounds();
      var clamp = function (v, limit) { return Math.max(-limit, Math.min(limit, v)); };
      return [clamp(b.getWest(), 180), clamp(b.getSouth(), 85), clamp(b.getEast(), 180), clamp(b.getNorth(), 85)]
        .map(function (v) { return v.toFixed(6); }).join(",");
    },

    /* The error line: shown with a message, hidden without one. */
    showError: function (element, message) {
      element.textContent = message || "";
      element.hidden = !message;
    },

    /* One report in a list under a map: code and title linked, then its status and `metaHtml` (already escaped). */
    reportItem: function (report, metaHtml) {
      return '<li><a href="' + escapeHtml(report.url) + '"><span class="rmap-list-code">' + escapeHtml(report.code) +
        "</span> " + escapeHtml(report.title) + '</a><span class="rmap-list-meta"><span class="status status-' +
        escapeHtml(report.status) + '">' + escapeHtml(report.status_label) + "</span>" + metaHtml + "</span></li>";
    },

    /* Spiderfy: markers at one spot (the same screen point at this zoom) are set apart on a circle
     * around it, each with a leg to the spot, so reports filed at one place stay separately visible and
     * clickable at the closest zoom instead of stacking as one dot. Moves the markers; returns the legs
     * to add beside them. Called again after each reload, so the circle keeps its size in pixels. */
    spread: function (map, markers) {
      var groups = [];
      markers.forEach(function (marker) {
        var point = map.latLngToLayerPoint(marker.getLatLng());
        var group = null;
        for (var i = 0; i < groups.length && !group; i++) {
          if (groups[i].point.distanceTo(point) < SAME_SPOT_PX) group = groups[i];
        }
        if (group) group.markers.push(marker);
        else groups.push({ point: point, spot: marker.getLatLng(), markers: [marker] });
      });
      var legs = [];
      groups.forEach(function (group) {
        var n = group.markers.length;
        if (n < 2) return;
        var radius = spreadRadius(n);
        group.markers.forEach(function (marker, i) {
          var angle = spreadAngle(i, n);
          var at = map.layerPointToLatLng(group.point.add(L.point(radius * Math.cos(angle), radius * Math.sin(angle))));
          marker.setLatLng(at);
          legs.push(L.polyline([group.spot, at], { className: "map-spider-leg", interactive: false, weight: 1.5, color: "#4b5563" }));
        });
      });
      return legs;
    },

    /* Calls `load` once now and again shortly after the map stops moving or the filter form changes. */
    reloadOn: function (map, form, load) {
      var timer = null;
      function refresh() {
        clearTimeout(timer);
        timer = setTimeout(load, 150);
      }
      map.on("moveend", refresh);
      form.addEventListener("change", refresh);
      form.addEventListener("submit", function (e) { e.preventDefault(); refresh(); });
      form.addEventListener("reset", function () { setTimeout(refresh, 0); });
      refresh();
    }
  };
})();

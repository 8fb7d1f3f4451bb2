/* The public report map (/ban-do/): clusters or reports of the current view from the clusters API,
 * a filter form applied to the map and the list, and the view plus filters kept in the URL. */
(function () {
  "use strict";

  var box = document.getElementById("report-map");
  if (!box) return;
  var d = box.dataset;
  var text = JSON.parse(document.getElementById("rmap-text").textContent);
  var form = document.getElementById("rmap-form");
  var list = document.getElementById("rmap-list");
  var listCount = document.getElementById("rmap-list-count");
  var statusLine = document.getElementById("rmap-status");
  var errorBox = document.getElementById("rmap-error");
  var filterCount = document.getElementById("rmap-filter-count");
  var details = document.getElementById("rmap-filters");
  var FILTERS = ["category", "status", "kind", "district", "from", "to"];

  var fmt = GeoMap.fmt;

  var escapeHtml = GeoMap.escapeHtml;

  function formatDate(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return "";
    return date.toLocaleDateString("vi-VN", { day: "2-digit", month: "2-digit", year: "numeric" });
  }

  /* --- State in the URL --------------------------------------------------------------- */
  var params = new URLSearchParams(window.location.search);
  FILTERS.forEach(function (name) {
    if (params.get(name) && form.elements[name]) form.elements[name].value = params.get(name);
  });
  var urlLat = parseFloat(params.get("lat"));
  var urlLng = parseFloat(params.get("lng"));
  var urlZoom = parseInt(params.get("z"), 10);
  var urlView = isFinite(urlLat) && isFinite(urlLng) && isFinite(urlZoom) &&
    Math.abs(urlLat) <= 90 && Math.abs(urlLng) <= 180 && urlZoom >= 0 && urlZoom <= 19;

  function filterValues() {
    var values = {};
    FILTERS.forEach(function (name) {
      var value = form.elements[name] ? form.elements[name].value : "";
      if (value) values[name] = value;
    });
    return values;
  }

  function query(values) {
    return Object.keys(values).map(function (k) {
      return encodeURIComponent(k) + "=" + encodeURIComponent(values[k]);
    }).join("&");
  }

  // Filters open on wide screens; on a phone they fold away until asked for.
  if (window.matchMedia("(min-width: 48rem)").matches || Object.keys(filterValues()).length) details.open = true;

  /* --- The map ---------------------------------------------------------------------------- */
  var map = GeoMap.create(box, {
    center: urlView ? [urlLat, urlLng] : [Number(d.lat), Number(d.lng)],
    zoom: urlView ? urlZoom : 10,
    tileUrl: d.tileUrl,
    attribution: d.attribution,
    // Province and districts drawn at first; wards on request (many small outlines).
    borders: { labels: { 1: text.borderProvince, 2: text.borderDistrict, 3: text.borderWard, title: text.borders }, hidden: [3] },
    onTilesUnavailable: function () { document.getElementById("map-note").hidden = false; }
  });
  if (urlView) {
    // GeoMap fits the province once its outline arrives; a shared link's view wins over that.
    var fitBounds = map.fitBounds;
    map.fitBounds = function () { map.fitBounds = fitBounds; return map; };
  }
  var layer = L.layerGroup().addTo(map);

  function dominantStatus(statuses) {
    var best = null;
    Object.keys(statuses || {}).forEach(function (s) { if (best === null || statuses[s] > statuses[best]) best = s; });
    return best || "received";
  }

  function popupHtml(p) {
    return '<div class="rmap-card">' +
      (p.thumbnail_url ? '<img src="' + escapeHtml(p.thumbnail_url) + '" alt="" loading="lazy">' : "") +
      '<p class="rmap-card-code">' + escapeHtml(text.code) + ": <strong>" + escapeHtml(p.code) + "</strong></p>" +
      '<p class="rmap-card-title">' + escapeHtml(p.title) + "</p>" +
      '<p><span class="status status-' + escapeHtml(p.status) + '">' + escapeHtml(p.status_label) + "</span> · " +
      escapeHtml(formatDate(p.created_at)) + "</p>" +
      '<p><a href="' + escapeHtml(p.url) + '">' + escapeHtml(text.details) + "</a></p></div>";
  }

  function clusterMarker(feature) {
    var p = feature.properties;
    var size = p.count < 10 ? 34 : p.count < 100 ? 42 : p.count < 1000 ? 50 : 58;
    var label = fmt(text.cluster, { count: p.count });
    var marker = L.marker([p.lat, p.lng], {
      title: label,
      alt: label,
      keyboard: true,
      riseOnHover: true,
      icon: L.divIcon({
        className: "map-hit rmap-cluster status-bg-" + dominantStatus(p.statuses),
        html: '<span aria-hidden="true">' + escapeHtml(p.count) + "</span>",
        iconSize: [size, size]
      })
    });
    marker.on("click", function () {
      map.setView([p.lat, p.lng], Math.min(map.getZoom() + 2, map.getMaxZoom() || 19));
    });
    return marker;
  }

  function reportMarker(feature) {
    var p = feature.properties;
    var c = feature.geometry.coordinates;
    var label = p.code + " — " + p.title + " (" + p.status_label + ")";
    var marker = L.marker([c[1], c[0]], {
      title: label,
      alt: label,
      keyboard: true,
      icon: L.divIcon({ className: "map-hit rmap-report status-bg-" + p.status, iconSize: [18, 18] })
    });
    marker.bindPopup(popupHtml(p), { maxWidth: 260 });
    return marker;
  }

  function showError(message) { MapView.showError(errorBox, message); }

  function keepInUrl() {
    var c = map.getCenter();
    var values = filterValues();
    var state = Object.assign({ lat: c.lat.toFixed(5), lng: c.lng.toFixed(5), z: map.getZoom() }, values);
    history.replaceState(null, "", window.location.pathname + "?" + query(state));
    var n = Object.keys(values).length;
    filterCount.hidden = n === 0;
    filterCount.textContent = n ? fmt(text.activeFilters, { count: n }) : "";
  }

  var mapSignal = MapView.latest();
  var listSignal = MapView.latest();

  function loadMap() {
    var values = Object.assign({ bbox: MapView.bbox(map), zoom: map.getZoom() }, filterValues());
    box.setAttribute("aria-busy", "true");
    MapView.getAnswer(d.clustersUrl + "?" + query(values), mapSignal())
      .then(function (res) {
        box.removeAttribute("aria-busy");
        if (!res.ok) { showError(res.body.detail || text.failed); return; }
        showError("");
        layer.clearLayers();
        var reports = [];
        res.body.features.forEach(function (f) {
          if (f.properties.kind === "cluster") { layer.addLayer(clusterMarker(f)); return; }
          reports.push(reportMarker(f));
        });
        // Reports at one spot spread apart instead of stacking as one dot.
        MapView.spread(map, reports).concat(reports).forEach(function (l) { layer.addLayer(l); });
        box.dataset.zoom = String(res.body.zoom);
        box.dataset.features = String(res.body.features.length);
      })
      .catch(function (err) { if (err.name !== "AbortError") { box.removeAttribute("aria-busy"); showError(text.failed); } });
  }

  function loadList() {
    var values = Object.assign({ bbox: MapView.bbox(map), limit: 20 }, filterValues());
    statusLine.textContent = text.loading;
    MapView.getAnswer(d.reportsUrl + "?" + query(values), listSignal())
      .then(function (res) {
        if (!res.ok) { statusLine.textContent = res.body.detail || text.failed; return; }
        var features = res.body.results.features;
        listCount.textContent = "(" + res.body.count + ")";
        statusLine.textContent = res.body.count > features.length ?
          fmt(text.firstOf, { shown: features.length, count: res.body.count }) :
          (features.length ? "" : text.none);
        list.innerHTML = features.map(function (f) {
          var p = f.properties;
          return MapView.reportItem(p, " · " + escapeHtml(formatDate(p.created_at)) +
            (p.category ? " · " + escapeHtml(p.category.name) : ""));
        }).join("");
      })
      .catch(function (err) { if (err.name !== "AbortError") statusLine.textContent = text.failed; });
  }

  MapView.reloadOn(map, form, function () { keepInUrl(); loadMap(); loadList(); });
  window.reportMap = map;
})();

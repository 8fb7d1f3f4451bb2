/* The officers' heatmap (/can-bo/ban-do-nhiet/): report density as a heat layer, or wards coloured
 * by report count or overdue rate; a click on a ward lists its reports. All data comes aggregated
 * from /api/v1/stats/heatmap and /api/v1/stats/choropleth for the current view and filters. */
(function () {
  "use strict";

  var box = document.getElementById("heat-map");
  if (!box) return;
  var d = box.dataset;
  var text = JSON.parse(document.getElementById("hmap-text").textContent);
  var form = document.getElementById("hmap-form");
  var errorBox = document.getElementById("hmap-error");
  var statusLine = document.getElementById("hmap-status");
  var legend = document.getElementById("hmap-legend");
  var wardBox = document.getElementById("hmap-ward");
  var wardTitle = document.getElementById("hmap-ward-title");
  var wardSummary = document.getElementById("hmap-ward-summary");
  var wardList = document.getElementById("hmap-ward-list");
  var exportLink = document.getElementById("hmap-export");
  var FILTERS = ["category", "status", "from", "to"];
  // ColorBrewer YlOrRd, light to dark; the darkest classes carry the most reports.
  var COLOURS = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"];
  var RATE_BREAKS = [0, 0.1, 0.25, 0.5, 0.75];

  var fmt = GeoMap.fmt;

  var escapeHtml = GeoMap.escapeHtml;

  function percent(rate) { return Math.round(rate * 100) + "%"; }

  function filterQuery() {
    var parts = [];
    FILTERS.forEach(function (name) {
      var value = form.elements[name].value;
      if (value) parts.push(encodeURIComponent(name) + "=" + encodeURIComponent(value));
    });
    if (form.elements.overdue.checked) parts.push("overdue=true");
    return parts.join("&");
  }

  function mode() { return form.querySelector("input[name=mode]:checked").value; }

  var map = GeoMap.create(box, {
    center: [Number(d.lat), Number(d.lng)],
    zoom: 10,
    tileUrl: d.tileUrl,
    attribution: d.attribution,
    levels: [1, 2],
    onTilesUnavailable: function () { document.getElementById("map-note").hidden = false; }
  });
  var heat = L.heatLayer([], { radius: 25, blur: 18, minOpacity: 0.35 });
  var wards = L.geoJSON(null, { style: wardStyle, onEachFeature: onEachWard });
  var countBreaks = [1, 2, 5, 10, 20];

  function countColour(count) {
    if (!count) return null;
    var colour = COLOURS[0];
    countBreaks.forEach(function (b, i) { if (count >= b) colour = COLOURS[i]; });
    return colour;
  }

  function rateColour(rate) {
    if (rate == null) return null;
    var colour = COLOURS[0];
    RATE_BREAKS.forEach(function (b, i) { if (rate >= b && (i === 0 || rate > b)) colour = COLOURS[i]; });
    return colour;
  }

  function wardStyle(feature) {
    var p = feature.properties;
    var colour = mode() === "overdue_rate" ? rateColour(p.overdue_rate) : countColour(p.count);
    return {
      color: "#374151", weight: 1, fillOpacity: colour ? 0.7 : 0.15, fillColor: colour || "#d1d5db"
    };
  }

  function wardLabel(p) {
    return p.name + " — " + fmt(text.reports, { count: p.count }) +
      (p.count ? ", " + fmt(text.overdue, { count: p.overdue, rate: percent(p.overdue_rate) }) : "");
  }

  function onEachWard(feature, layer) {
    var p = feature.properties;
    layer.bindTooltip(escapeHtml(wardLabel(p)), { sticky: true });
    layer.on("click", function () { showWard(p); });
    layer.on("add", function () {
      var el = layer.getElement && layer.getElement();
      if (el) {
        el.setAttribute("data-ward", p.code);
        el.setAttribute("tabindex", "0");
        el.setAttribute("role", "button");
        el.setAttribute("aria-label", wardLabel(p));
        el.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); showWard(p); } });
      }
    });
  }

  function niceBreaks(max) {
    // Five classes from 1 to the largest count, rounded to whole numbers and strictly rising.
    var out = [1];
    [0.1, 0.25, 0.5, 0.75].forEach(function (f) {
      var v = Math.max(out[out.length - 1] + 1, Math.ceil(max * f));
      out.push(v);
    });
    return out;
  }

  function drawLegend(kind) {
    var html;
    if (kind === "heat") {
      html = '<p class="hmap-legend-title">' + escapeHtml(text.legendHeat) + '</p>' +
        '<div class="hmap-gradient" aria-hidden="true"></div>' +
        '<p class="hmap-legend-scale"><span>' + escapeHtml(text.low) + "</span><span>" + escapeHtml(text.high) + "</span></p>";
    } else {
      var rows = [];
      var breaks = kind === "overdue_rate" ? RATE_BREAKS : countBreaks;
      breaks.forEach(function (b, i) {
        var next = breaks[i + 1];
        var label;
        if (kind === "overdue_rate") label = next === undefined ? "> " + percent(b) : percent(b) + " – " + percent(next);
        else label = next === undefined ? "≥ " + b : (next - 1 > b ? b + " – " + (next - 1) : String(b));
        // The colour is set through the DOM below: the CSP refuses style attributes in parsed HTML.
        rows.push('<li><span class="hmap-swatch" data-colour="' + i + '"></span>' + escapeHtml(label) + "</li>");
      });
      rows.unshift('<li><span class="hmap-swatch hmap-swatch-none"></span>' + escapeHtml(text.noData) + "</li>");
      html = '<p class="hmap-legend-title">' + escapeHtml(kind === "overdue_rate" ? text.legendRate : text.legendCount) +
        '</p><ul class="hmap-legend-list">' + rows.join("") + "</ul>";
    }
    legend.innerHTML = html;
    Array.prototype.forEach.call(legend.querySelectorAll("[data-colour]"), function (swatch) {
      swatch.style.background = COLOURS[Number(swatch.dataset.colour)];
    });
    legend.dataset.mode = kind;
  }

  function showError(message) { MapView.showError(errorBox, message); }

  var nextSignal = MapView.latest();
  function load() {
    var signal = nextSignal();
    var kind = mode();
    var view = "?bbox=" + MapView.bbox(map) + "&zoom=" + map.getZoom() + (filterQuery() ? "&" + filterQuery() : "");
    var url = (kind === "heat" ? d.heatmapUrl : d.choroplethUrl) + view;
    // The download is of what is on screen: the same view and filters.
    if (exportLink) exportLink.href = d.exportUrl + view;
    statusLine.textContent = text.loading;
    box.setAttribute("aria-busy", "true");
    MapView.getAnswer(url, signal)
      .then(function (res) {
        box.removeAttribute("aria-busy");
        if (!res.ok) { showError(res.body.detail || text.failed); statusLine.textContent = ""; return; }
        showError("");
        if (kind === "heat") {
          map.removeLayer(wards);
          // On the map first: leaflet.heat redraws on every change and needs its map for that.
          if (!map.hasLayer(heat)) heat.addTo(map);
          // The cells are already counted for this zoom: no further scaling by zoom in the layer.
          heat.setOptions({ max: Math.max(1, res.body.max), maxZoom: map.getZoom() });
          heat.setLatLngs(res.body.cells);
          statusLine.textContent = fmt(text.reports, { count: res.body.total });
        } else {
          map.removeLayer(heat);
          countBreaks = niceBreaks(Math.max(res.body.max_count, 5));
          wards.clearLayers();
          if (!map.hasLayer(wards)) wards.addTo(map);
          wards.addData(res.body.features);
          var total = res.body.features.reduce(function (s, f) { return s + f.properties.count; }, 0);
          statusLine.textContent = fmt(text.reports, { count: total }) + (res.body.truncated ? " " + text.truncated : "");
        }
        drawLegend(kind);
        box.dataset.mode = kind;
        box.dataset.loaded = String(Date.now());
      })
      .catch(function (err) {
        if (err.name !== "AbortError") { box.removeAttribute("aria-busy"); showError(text.failed); statusLine.textContent = ""; }
      });
  }

  function showWard(p) {
    wardBox.hidden = false;
    wardTitle.textContent = fmt(text.wardTitle, { name: p.name });
    wardSummary.textContent = text.loading;
    wardList.innerHTML = "";
    var url = d.wardUrl.replace("__code__", encodeURIComponent(p.code)) + (filterQuery() ? "?" + filterQuery() : "");
    MapView.getAnswer(url)
      .then(function (res) {
        if (!res.ok) { wardSummary.textContent = res.body.detail || text.failed; return; }
        var reports = res.body.reports;
        wardSummary.textContent = reports.length ? wardLabel(p) : text.noReports;
        wardList.innerHTML = reports.map(function (r) {
          return MapView.reportItem(r, " · " + escapeHtml(r.category) +
            (r.overdue ? ' · <strong class="hmap-overdue">' + escapeHtml(text.overdueTag) + "</strong>" : ""));
        }).join("");
        wardBox.scrollIntoView({ block: "nearest" });
      })
      .catch(function () { wardSummary.textContent = text.failed; });
  }

  MapView.reloadOn(map, form, load);
  window.heatMap = map;
})();

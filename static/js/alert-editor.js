/* The warning editor's area: draw polygons and circles (leaflet-draw), type a circle, or pick whole units.
 * The parts go to the hidden "area" field as JSON; "preview" asks the server for the union and for how
 * many registered people live inside, as a coarse band in words ("Dưới 10 người"). */
(function () {
  "use strict";

  var box = document.getElementById("alert-map");
  var field = document.getElementById("alert-area");
  if (!box || !field || !window.L || !window.GeoMap) return;
  var d = box.dataset;
  var text = JSON.parse(document.getElementById("alert-editor-text").textContent);
  var form = document.getElementById("alert-form");
  var list = document.getElementById("area-parts");
  var result = document.getElementById("preview-result");
  function $(id) { return document.getElementById(id); }
  var fmt = GeoMap.fmt;
  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    });
  }

  if (L.drawLocal) {
    L.drawLocal.draw.toolbar.buttons.polygon = text.drawPolygon;
    L.drawLocal.draw.toolbar.buttons.circle = text.drawCircle;
    L.drawLocal.draw.toolbar.actions.text = text.cancel;
    L.drawLocal.draw.toolbar.finish.text = text.finish;
    L.drawLocal.draw.toolbar.undo.text = text.undo;
    L.drawLocal.edit.toolbar.buttons.edit = text.edit;
    L.drawLocal.edit.toolbar.buttons.remove = text["delete"];
  }

  var map = GeoMap.create(box, {
    center: [Number(d.lat), Number(d.lng)], zoom: 10, levels: [1, 2, 3], tileUrl: d.tileUrl, attribution: d.attribution,
    onTilesUnavailable: function () { $("map-note").hidden = false; }
  });
  // --- The agency's jurisdiction, outlined, with its wards labelled (from zoom 11, not to crowd the view) ---
  var jurisdictions = JSON.parse(($("alert-jurisdictions") || { textContent: "{}" }).textContent || "{}");
  var outline = null;
  function showJurisdiction(fit) {
    if (outline) map.removeLayer(outline);
    outline = null;
    var j = jurisdictions[form.elements.agency ? form.elements.agency.value : ""];
    if (!j) return;
    outline = L.layerGroup().addTo(map);
    var shape = L.geoJSON(j.outline, { interactive: false, style: function () {
      return { color: "#111827", weight: 3, dashArray: "8 6", fill: false };
    } }).addTo(outline);
    shape.eachLayer(function (layer) { if (layer.getElement()) layer.getElement().classList.add("jurisdiction-outline"); });
    j.wards.forEach(function (w) {
      outline.addLayer(L.tooltip({ permanent: true, direction: "center", className: "ward-label", interactive: false })
        .setLatLng([w[1], w[2]]).setContent(GeoMap.escapeHtml(w[0])));
    });
    if (fit) {
      var fitBounds = map.fitBounds;
      fitBounds.call(map, shape.getBounds(), { padding: [8, 8] });
      // GeoMap fits the province once its outline arrives; the jurisdiction's view wins.
      map.fitBounds = function () { map.fitBounds = fitBounds; return map; };
    }
  }
  function labelsByZoom() { box.classList.toggle("ward-labels-hidden", map.getZoom() < 11); }
  map.on("zoomend", labelsByZoom);
  labelsByZoom();
  if (form.elements.agency && form.elements.agency.tagName === "SELECT") {
    form.elements.agency.addEventListener("change", function () { showJurisdiction(true); });
  }

  var drawn = new L.FeatureGroup().addTo(map);
  var units = [];  // {code, name, layer}
  var preview = null;
  var DRAW_STYLE = { color: "#b91c1c", weight: 3, fillOpacity: 0.2 };

  map.addControl(new L.Control.Draw({
    position: "topleft",
    draw: {
      polygon: { allowIntersection: false, showArea: false, shapeOptions: DRAW_STYLE },
      circle: { shapeOptions: DRAW_STYLE, showRadius: true, metric: true },
      rectangle: false, polyline: false, marker: false, circlemarker: false
    },
    edit: { featureGroup: drawn }
  }));

  function parts() {
    var out = [];
    drawn.eachLayer(function (layer) {
      if (layer instanceof L.Circle) {
        var c = layer.getLatLng();
        out.push({ kind: "circle", lat: +c.lat.toFixed(6), lng: +c.lng.toFixed(6), radius_m: Math.round(layer.getRadius()) });
      } else if (layer instanceof L.Polygon) {
        out.push({ kind: "polygon", geometry: layer.toGeoJSON(6).geometry });
      }
    });
    units.forEach(function (u) { out.push({ kind: "unit", code: u.code, name: u.name }); });
    return out;
  }

  // Errors about the area were about the area as it was: they go when it changes, with a description
  // filled in from an earlier preview (the server names the wards again when the field is left empty).
  var ready = false;
  var description = form.elements.area_description;
  function areaChanged() {
    Array.prototype.forEach.call(document.querySelectorAll(".area-error"), function (node) { node.remove(); });
    var summary = $("error-summary");
    if (summary && !summary.querySelector("li")) summary.hidden = true;
    if (result.classList.contains("pin-status-error")) { result.textContent = ""; result.className = "pin-status"; }
    if (description && description.dataset.auto && description.value === description.dataset.auto) {
      description.value = "";
      description.dataset.auto = "";
    }
  }

  function render() {
    var items = parts();
    if (ready && field.value !== JSON.stringify(items)) areaChanged();
    field.value = JSON.stringify(items);
    list.innerHTML = "";
    if (!items.length) {
      var empty = document.createElement("li");
      empty.className = "hint";
      empty.textContent = text.empty;
      list.appendChild(empty);
      return;
    }
    var layers = [];
    drawn.eachLayer(function (layer) { layers.push(layer); });
    layers.forEach(function (layer, i) {
      var label = layer instanceof L.Circle
        ? fmt(text.circle, { km: (layer.getRadius() / 1000).toFixed(2) })
        : text.polygon + " " + (i + 1);
      addItem(label, function () { drawn.removeLayer(layer); render(); });
    });
    units.forEach(function (u) {
      addItem(text.unit + ": " + u.name, function () {
        if (u.layer) map.removeLayer(u.layer);
        units = units.filter(function (other) { return other !== u; });
        render();
      });
    });
  }

  function addItem(label, remove) {
    var li = document.createElement("li");
    var span = document.createElement("span");
    span.textContent = label;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button-link";
    button.textContent = text.remove;
    button.setAttribute("aria-label", text.remove + ": " + label);
    button.addEventListener("click", remove);
    li.appendChild(span);
    li.appendChild(button);
    list.appendChild(li);
  }

  function showUnit(unit) {
    getJSON(d.unitUrl.replace("CODE", encodeURIComponent(unit.code)) + "?simplify=0.0005").then(function (feature) {
      if (units.indexOf(unit) < 0) return;
      unit.layer = L.geoJSON(feature, { interactive: false, style: function () { return { color: "#7c2d12", weight: 2, dashArray: "6 4", fillColor: "#f97316", fillOpacity: 0.15 }; } }).addTo(map);
      if (!unit.name && feature.properties) { unit.name = feature.properties.name; render(); }
      map.fitBounds(unit.layer.getBounds(), { maxZoom: 14 });
    }).catch(function () { /* the list still names it */ });
  }

  function addUnit(code, name) {
    if (!code || units.some(function (u) { return u.code === code; })) return;
    var unit = { code: code, name: name || code, layer: null };
    units.push(unit);
    showUnit(unit);
    render();
  }

  map.on(L.Draw.Event.CREATED, function (e) { drawn.addLayer(e.layer); render(); });
  map.on(L.Draw.Event.EDITED, render);
  map.on(L.Draw.Event.DELETED, render);

  // --- Start from the saved parts -----------------------------------------------------------------
  var initial = [];
  try { initial = JSON.parse(field.value || "[]") || []; } catch (e) { initial = []; }
  initial.forEach(function (part) {
    if (part.kind === "circle") {
      drawn.addLayer(L.circle([part.lat, part.lng], Object.assign({ radius: part.radius_m }, DRAW_STYLE)));
    } else if (part.kind === "polygon" && part.geometry) {
      L.geoJSON(part.geometry).eachLayer(function (layer) { layer.setStyle(DRAW_STYLE); drawn.addLayer(layer); });
    } else if (part.kind === "unit") {
      addUnit(part.code, part.name);
    }
  });
  if (drawn.getLayers().length) map.fitBounds(drawn.getBounds(), { maxZoom: 14 });
  showJurisdiction(!initial.length);
  render();
  ready = true;

  // --- Unit picker -------------------------------------------------------------------------------
  var selects = { 1: $("pick-province"), 2: $("pick-district"), 3: $("pick-ward") };
  function fill(level, parent) {
    var select = selects[level];
    select.innerHTML = "";
    var blank = document.createElement("option");
    blank.value = "";
    blank.textContent = text.choose;
    select.appendChild(blank);
    if (level > 1 && !parent) return Promise.resolve();
    var url = d.unitsUrl + "?limit=1000&level=" + level + (parent ? "&parent=" + encodeURIComponent(parent) : "");
    return getJSON(url).then(function (page) {
      (page.results || []).slice().sort(function (a, b) { return a.name.localeCompare(b.name, "vi"); }).forEach(function (u) {
        var option = document.createElement("option");
        option.value = u.code;
        option.textContent = u.name;
        select.appendChild(option);
      });
    });
  }
  fill(1).then(function () {
    // One province: choose it, so the district list is ready.
    if (selects[1].options.length === 2) { selects[1].selectedIndex = 1; fill(2, selects[1].value); }
  }).catch(function () {});
  fill(2, "");
  fill(3, "");
  selects[1].addEventListener("change", function () { fill(2, selects[1].value); fill(3, ""); });
  selects[2].addEventListener("change", function () { fill(3, selects[2].value); });
  $("add-unit").addEventListener("click", function () {
    for (var level = 3; level >= 1; level--) {
      var select = selects[level];
      if (select.value) { addUnit(select.value, select.options[select.selectedIndex].textContent); return; }
    }
  });

  // --- Circle by coordinates -----------------------------------------------------------------------
  $("add-circle").addEventListener("click", function () {
    var lat = parseFloat($("circle-lat").value), lng = parseFloat($("circle-lng").value), r = parseFloat($("circle-radius").value);
    if (!isFinite(lat) || !isFinite(lng) || !isFinite(r) || r <= 0 || Math.abs(lat) > 90 || Math.abs(lng) > 180) {
      result.textContent = text.badCircle;
      result.className = "pin-status pin-status-error";
      return;
    }
    var circle = L.circle([lat, lng], Object.assign({ radius: r }, DRAW_STYLE));
    drawn.addLayer(circle);
    map.fitBounds(circle.getBounds());
    render();
  });

  // --- Preview -------------------------------------------------------------------------------------
  $("preview-area").addEventListener("click", function () {
    result.textContent = text.previewing;
    result.className = "pin-status";
    var token = form.querySelector("[name=csrfmiddlewaretoken]").value;
    var agency = form.elements.agency ? form.elements.agency.value : "";
    fetch(d.previewUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ area: parts(), agency: agency })
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) { return { ok: r.ok, body: body }; });
    }).then(function (res) {
      if (!res.ok) {
        var errors = res.body.errors && res.body.errors.area;
        result.textContent = (errors && errors.join(" ")) || res.body.detail || text.previewFailed;
        result.className = "pin-status pin-status-error";
        return;
      }
      if (preview) map.removeLayer(preview);
      preview = L.geoJSON(res.body.area, { interactive: false, style: function () { return { color: "#1d4ed8", weight: 2, fillOpacity: 0.08 }; } }).addTo(map);
      map.fitBounds(preview.getBounds(), { maxZoom: 14 });
      if (description && res.body.area_description && (!description.value || description.value === description.dataset.auto)) {
        description.value = res.body.area_description;
        description.dataset.auto = description.value;
      }
      result.textContent = fmt(text.people, { band: res.body.people });
      result.className = "pin-status pin-status-ok";
      result.setAttribute("data-people", String(res.body.people));
    }).catch(function () {
      result.textContent = text.previewFailed;
      result.className = "pin-status pin-status-error";
    });
  });
})();

/* The profile's "add a place" map: a click (on the basemap or on one of our ward outlines) puts a pin
 * and fills the latitude/longitude boxes. Without this script the boxes are typed in by hand. */
(function () {
  "use strict";
  var box = document.getElementById("place-map");
  if (!box || !window.L || !window.GeoMap) return;
  var form = document.getElementById("place-form");
  var d = box.dataset;
  box.hidden = false;
  var map = GeoMap.create(box, {
    center: d.center.split(",").map(Number),
    zoom: 10,
    tileUrl: d.tileUrl,
    attribution: d.attribution,
    onTilesUnavailable: function () { document.getElementById("place-map-note").hidden = false; }
  });
  var icon = GeoMap.pinIcon(d);
  var marker = null;
  function place(latlng) {
    if (!marker) marker = L.marker(latlng, { icon: icon, alt: d.pinAlt, keyboard: false }).addTo(map);
    else marker.setLatLng(latlng);
    form.elements.lat.value = latlng.lat.toFixed(6);
    form.elements.lng.value = latlng.lng.toFixed(6);
    form.elements.ward.value = "";
  }
  map.on("click", function (e) { place(e.latlng); });
  map.on("layeradd", function (e) {
    if (e.layer instanceof L.Path) e.layer.on("click", function (ev) { place(ev.latlng); });
  });
  var lat = Number(form.elements.lat.value), lng = Number(form.elements.lng.value);
  if (form.elements.lat.value && form.elements.lng.value && isFinite(lat) && isFinite(lng)) place(L.latLng(lat, lng));
})();

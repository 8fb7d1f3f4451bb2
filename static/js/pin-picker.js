/* A map on which a person places one pin: a tap or click (on the map or on one of our boundary shapes),
 * dragging the pin, "my location" and "pin at the centre"; a status line tells which ward the pin falls
 * in. Shared by the report form (report-form.js) and the chat pin page (chat-pin.js).
 *
 * GeoMap.pinPicker(element, options): options are the map's (center, tileUrl, attribution, icon,
 * icon2x, iconShadow, onTilesUnavailable), locateUrl, text (pinAlt, locating, located, nearEdge, outside,
 * locateFailed, pinCleared, geoUnsupported, geoLocating, geoDenied, geoFailed), the status element, the
 * buttons (myLocation, centre, clear: elements or null) and callbacks: onPin(latlng) after the pin is
 * placed or moved, onLocated(location or null when outside), onClear().
 *
 * GeoMap.pagePinPicker(element, data, text, callbacks): the same on one of our pages, whose map element's
 * form carries the map settings as data attributes (center, tileUrl, attribution, icon, icon2x,
 * iconShadow, locateUrl) and whose status line and buttons have the shared ids (map-note, pin-status,
 * my-location, pin-centre, pin-clear); callbacks are onPin, onLocated and onClear. */
(function () {
  "use strict";

  function say(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values && key in values ? values[key] : ""; });
  }

  function placeName(location) {
    var parts = [];
    if (location.ward) parts.push(location.ward.name);
    if (location.district) parts.push(location.district.name);
    if (location.province && !location.district) parts.push(location.province.name);
    return parts.join(", ");
  }

  window.GeoMap.pinPicker = function (element, options) {
    var text = options.text;
    var noop = function () {};
    var onPin = options.onPin || noop;
    var onLocated = options.onLocated || noop;
    var onClear = options.onClear || noop;
    var buttons = options.buttons || {};
    var status = options.status;

    function setStatus(message, kind) {
      status.textContent = message;
      status.className = "pin-status" + (kind ? " pin-status-" + kind : "");
    }

    var map = window.GeoMap.create(element, {
      center: options.center,
      zoom: options.zoom || 10,
      tileUrl: options.tileUrl,
      attribution: options.attribution,
      onTilesUnavailable: options.onTilesUnavailable
    });
    var icon = L.icon({
      iconUrl: options.icon,
      iconRetinaUrl: options.icon2x,
      shadowUrl: options.iconShadow,
      iconSize: [25, 41],
      iconAnchor: [12, 41],
      shadowSize: [41, 41]
    });
    var marker = null;
    var locateSeq = 0;
    // The view the person asked for; map.js fits the whole province once its outline arrives, which must
    // not undo a view chosen before that.
    var chosenView = null;
    function setView(apply) {
      chosenView = apply;
      apply();
    }

    function showPin(latlng) {
      if (!marker) {
        marker = L.marker(latlng, { draggable: true, icon: icon, alt: text.pinAlt || "", keyboard: true }).addTo(map);
        marker.on("dragend", function () { pinMoved(marker.getLatLng()); });
      } else {
        marker.setLatLng(latlng);
      }
      if (buttons.clear) buttons.clear.hidden = false;
    }

    function setPin(latlng) {
      showPin(latlng);
      pinMoved(latlng);
    }

    function pinMoved(latlng) {
      locate(latlng);
      onPin(latlng);
    }

    function clearPin(message) {
      if (marker) { map.removeLayer(marker); marker = null; }
      if (buttons.clear) buttons.clear.hidden = true;
      onClear();
      setStatus(message || text.pinCleared, "");
    }

    function locate(latlng) {
      var seq = ++locateSeq;
      setStatus(text.locating, "busy");
      var url = options.locateUrl + "?lat=" + latlng.lat.toFixed(6) + "&lng=" + latlng.lng.toFixed(6);
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) {
          return r.json().catch(function () { return {}; }).then(function (body) { return { ok: r.ok, status: r.status, body: body }; });
        })
        .then(function (res) {
          if (seq !== locateSeq) return;
          if (res.ok) {
            var message = say(text.located, { place: placeName(res.body) });
            if (res.body.distance_m > 0) message += " " + say(text.nearEdge, { metres: Math.round(res.body.distance_m) });
            setStatus(message, "ok");
            onLocated(res.body);
          } else if (res.status === 404) {
            setStatus(text.outside, "error");
            onLocated(null);
          } else {
            setStatus(res.body.detail || text.locateFailed, "error");
          }
        })
        .catch(function () { if (seq === locateSeq) setStatus(text.locateFailed, "error"); });
    }

    map.on("click", function (e) { setPin(e.latlng); });
    // Our boundaries are drawn as clickable shapes (they show their names); a click on one places the pin too.
    map.on("layeradd", function (e) {
      if (!(e.layer instanceof L.Path)) return;
      e.layer.on("click", function (ev) { setPin(ev.latlng); });
      var props = e.layer.feature && e.layer.feature.properties;
      if (props && props.level === 1 && chosenView) setTimeout(chosenView, 0);
    });

    if (buttons.centre) buttons.centre.addEventListener("click", function () { setPin(map.getCenter()); });
    if (buttons.clear) buttons.clear.addEventListener("click", function () { clearPin(); });
    if (buttons.myLocation) {
      buttons.myLocation.addEventListener("click", function () {
        if (!navigator.geolocation) { setStatus(text.geoUnsupported, "error"); return; }
        setStatus(text.geoLocating, "busy");
        navigator.geolocation.getCurrentPosition(function (position) {
          var latlng = L.latLng(position.coords.latitude, position.coords.longitude);
          setView(function () { map.setView(latlng, Math.max(map.getZoom(), 16)); });
          setPin(latlng);
        }, function (error) {
          setStatus(error.code === 1 ? text.geoDenied : text.geoFailed, "error");
        }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
    }

    return {
      map: map,
      setPin: setPin,
      showPin: showPin,
      clearPin: clearPin,
      locate: locate,
      setView: setView,
      setStatus: setStatus,
      hasPin: function () { return marker !== null; }
    };
  };

  window.GeoMap.pagePinPicker = function (element, data, text, callbacks) {
    function $(id) { return document.getElementById(id); }
    var options = {
      center: data.center.split(",").map(Number),
      tileUrl: data.tileUrl,
      attribution: data.attribution,
      icon: data.icon,
      icon2x: data.icon2x,
      iconShadow: data.iconShadow,
      onTilesUnavailable: function () { $("map-note").hidden = false; },
      locateUrl: data.locateUrl,
      text: text,
      status: $("pin-status"),
      buttons: { myLocation: $("my-location"), centre: $("pin-centre"), clear: $("pin-clear") }
    };
    for (var name in callbacks) {
      if (Object.prototype.hasOwnProperty.call(callbacks, name)) options[name] = callbacks[name];
    }
    return window.GeoMap.pinPicker(element, options);
  };
})();

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
 * iconShadow, locateUrl, placesUrl) and whose status line and buttons have the shared ids (map-note,
 * pin-status, my-location, pin-centre, pin-clear); callbacks are onPin, onLocated and onClear. When the
 * form has an `address` field, a pin far from the ward that address names is pointed out.
 *
 * Without a basemap (map.hasBasemap false) a tap at province scale is not taken as a pin: the first tap
 * zooms to its ward, and a pin is placed from PIN_MIN_ZOOM on (or the form pins the ward's centre). */
(function () {
  "use strict";

  var say = window.GeoDom.say;

  function placeName(location) {
    var parts = [];
    if (location.ward) parts.push(location.ward.name);
    if (location.district) parts.push(location.district.name);
    if (location.province && !location.district) parts.push(location.province.name);
    return parts.join(", ");
  }

  var PIN_MIN_ZOOM = 13;
  // A pin this far (km) from the point of the ward an address names is pointed out.
  var FAR_KM = 1.5;

  window.GeoMap.pinPicker = function (element, options) {
    var text = L.extend({}, window.GeoMap.text, options.text);
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
    var icon = window.GeoMap.pinIcon(options);
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

    function tooWide() { return !map.hasBasemap && map.getZoom() < PIN_MIN_ZOOM; }

    // The first tap at province scale on a map without a basemap: zoom to the ward tapped.
    function zoomToWard(latlng) {
      var seq = ++locateSeq;
      setStatus(text.locating, "busy");
      function closer(place) {
        if (map.getZoom() < PIN_MIN_ZOOM) map.setView(latlng, PIN_MIN_ZOOM);
        setStatus(say(text.zoomedTo, { place: place }), "");
      }
      var url = options.locateUrl + "?lat=" + latlng.lat.toFixed(6) + "&lng=" + latlng.lng.toFixed(6);
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (location) {
          if (seq !== locateSeq) return;
          if (!location || !location.ward) { closer(location ? placeName(location) : ""); return; }
          var unitUrl = options.locateUrl.replace(/locate\/?$/, encodeURIComponent(location.ward.code) + "/");
          return fetch(unitUrl + "?simplify=0.0002", { headers: { Accept: "application/json" } })
            .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
            .then(function (feature) {
              if (seq !== locateSeq) return;
              var bounds = L.geoJSON(feature).getBounds();
              setView(function () { map.fitBounds(bounds, { maxZoom: 16 }); });
              closer(placeName(location));
            });
        })
        .catch(function () { if (seq === locateSeq) closer(""); });
    }

    // A tap on a boundary shape also reaches the map: one tap, one action.
    var lastTap = null;
    function tap(latlng) {
      if (lastTap && lastTap.equals(latlng)) return;
      lastTap = latlng;
      setTimeout(function () { lastTap = null; }, 0);
      if (tooWide()) zoomToWard(latlng);
      else setPin(latlng);
    }

    map.on("click", function (e) { tap(e.latlng); });
    // Our boundaries are drawn as clickable shapes (they show their names); a click on one places the pin too.
    map.on("layeradd", function (e) {
      if (!(e.layer instanceof L.Path)) return;
      e.layer.on("click", function (ev) { tap(ev.latlng); });
      var props = e.layer.feature && e.layer.feature.properties;
      if (props && props.level === 1 && chosenView) setTimeout(chosenView, 0);
    });

    if (buttons.centre) {
      buttons.centre.addEventListener("click", function () {
        if (tooWide()) setStatus(text.zoomCloser, "error");
        else setPin(map.getCenter());
      });
    }
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
    var box = typeof element === "string" ? document.getElementById(element) : element;
    var form = box && box.closest ? box.closest("form") : null;
    var address = form && form.elements.address;
    if (!address || !data.placesUrl) return window.GeoMap.pinPicker(element, options);

    // The ward the typed address names (the places API reads an address as the intake does), and a
    // line under the pin's status when the pin lies far from it.
    var warning = document.createElement("p");
    warning.className = "pin-status pin-status-error pin-far";
    warning.setAttribute("role", "status");
    warning.hidden = true;
    options.status.parentNode.insertBefore(warning, options.status.nextSibling);
    var pinned = null;
    var named = null;
    var seq = 0;
    function compare() {
      var far = pinned && named ? pinned.distanceTo(L.latLng(named.lat, named.lng)) / 1000 : 0;
      warning.hidden = !(far > FAR_KM && pinned.ward !== named.code);
      if (!warning.hidden) warning.textContent = say(window.GeoMap.text.farFromAddress || "", { place: named.name, km: far.toFixed(1) });
    }
    function readAddress() {
      var typed = address.value.trim();
      var mine = ++seq;
      if (typed.length < 3) { named = null; compare(); return; }
      fetch(data.placesUrl + "?address=1&q=" + encodeURIComponent(typed.slice(0, 100)), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (places) {
          if (mine !== seq) return;
          // Only an address naming one ward counts; several (or none) say nothing for sure.
          var wards = (places || []).filter(function (p) { return p.level === 3; });
          named = wards.length === 1 ? wards[0] : null;
          compare();
        })
        .catch(function () { /* no warning without an answer */ });
    }
    address.addEventListener("change", readAddress);
    var onPin = options.onPin;
    var onLocated = options.onLocated;
    var onClear = options.onClear;
    options.onPin = function (latlng) { pinned = L.latLng(latlng.lat, latlng.lng); compare(); if (onPin) onPin(latlng); };
    options.onLocated = function (location) {
      if (pinned) { pinned.ward = location && location.ward ? location.ward.code : ""; compare(); }
      if (onLocated) onLocated(location);
    };
    options.onClear = function () { pinned = null; compare(); if (onClear) onClear(); };
    if (address.value.trim()) readAddress();
    return window.GeoMap.pinPicker(element, options);
  };
})();

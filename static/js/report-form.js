/* The report form's map: place or drag a pin (or use "my location", the district/ward selects or the
 * place search), show which ward it falls in, and offer open reports nearby before a duplicate is sent.
 * The form works without this script: the server then pins the report in the chosen ward. */
(function () {
  "use strict";

  var form = document.getElementById("report-form");
  if (!form || !window.L || !window.GeoMap) return;
  var text = JSON.parse(document.getElementById("report-form-text").textContent);
  var data = form.dataset;

  function $(id) { return document.getElementById(id); }
  var say = window.GeoDom.say;
  var el = window.GeoDom.el;
  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        return { ok: r.ok, status: r.status, body: body };
      });
    });
  }
  function query(params) {
    return Object.keys(params).map(function (k) {
      return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]);
    }).join("&");
  }
  Array.prototype.forEach.call(form.querySelectorAll(".js-only"), function (node) { node.hidden = false; });

  var latInput = form.elements.lat;
  var lngInput = form.elements.lng;
  var districtSelect = form.elements.district || null;
  var wardSelect = form.elements.ward;
  var categorySelect = form.elements.category;
  var signedIn = data.signedIn === "1";
  var locatedWard = "";
  var locatedDistrict = "";

  // --- Map and pin (pin-picker.js) ---------------------------------------------------------------------
  var picker = GeoMap.pagePinPicker("report-map", data, text, {
    onPin: function (latlng) {
      latInput.value = latlng.lat.toFixed(6);
      lngInput.value = latlng.lng.toFixed(6);
      checkNearby();
      // alert-pin.js lists the warnings in force at the pin.
      document.dispatchEvent(new CustomEvent("report:pin", { detail: latlng }));
    },
    onLocated: function (location) {
      if (location) {
        syncSelects(location);
      } else {
        locatedWard = "";
        locatedDistrict = "";
      }
    },
    onClear: function () {
      latInput.value = "";
      lngInput.value = "";
      locatedWard = "";
      locatedDistrict = "";
      hideNearby();
      document.dispatchEvent(new CustomEvent("report:pin", { detail: null }));
    }
  });
  var map = picker.map;
  var setStatus = picker.setStatus;
  var setView = picker.setView;
  var setPin = picker.setPin;
  var showPin = picker.showPin;
  var clearPin = picker.clearPin;
  var locate = picker.locate;
  var highlight = null;

  // --- District and ward ---------------------------------------------------------------------------
  function unitUrl(code) { return data.unitUrl.replace("CODE", encodeURIComponent(code)); }

  function showUnit(code) {
    return getJSON(unitUrl(code) + "?simplify=0.0002").then(function (res) {
      if (!res.ok) return;
      if (highlight) map.removeLayer(highlight);
      highlight = L.geoJSON(res.body, {
        style: function () { return { color: "#b45309", weight: 3, fill: true, fillOpacity: 0.06 }; }
      }).addTo(map);
      var bounds = highlight.getBounds();
      setView(function () { map.fitBounds(bounds, { maxZoom: 16 }); });
    }).catch(function () { /* offline: the unit is chosen all the same, only not outlined */ });
  }

  function fillWards(district, selected) {
    if (!district) return Promise.resolve();
    return getJSON(data.unitsUrl + "?" + query({ level: 3, parent: district, limit: 1000 })).then(function (res) {
      if (!res.ok) return;
      var units = (res.body.results || []).slice().sort(function (a, b) { return a.name.localeCompare(b.name, "vi"); });
      wardSelect.innerHTML = "";
      wardSelect.appendChild(el("option", { value: "", text: text.wardPlaceholder }));
      units.forEach(function (unit) { wardSelect.appendChild(el("option", { value: unit.code, text: unit.name })); });
      wardSelect.value = selected || "";
    }).catch(function () {
      // Offline: the page's list of every ward stays to choose from.
      if (selected) wardSelect.value = selected;
    });
  }

  function syncSelects(location) {
    locatedWard = location.ward ? location.ward.code : "";
    locatedDistrict = location.district ? location.district.code : "";
    if (districtSelect && location.district && districtSelect.value !== location.district.code) {
      districtSelect.value = location.district.code;
      fillWards(location.district.code, locatedWard);
    } else if (location.ward) {
      wardSelect.value = location.ward.code;
    }
  }

  function chooseDistrict(code, name) {
    if (picker.hasPin() && code && code !== locatedDistrict) clearPin(say(text.unitChosen, { name: name }));
    else setStatus(say(text.unitChosen, { name: name }), "");
    fillWards(code, "");
    if (code) showUnit(code);
  }

  function chooseWard(code, name) {
    if (picker.hasPin() && code !== locatedWard) clearPin(say(text.unitChosen, { name: name }));
    else setStatus(say(text.unitChosen, { name: name }), "");
    if (code) showUnit(code);
  }

  if (districtSelect) {
    districtSelect.addEventListener("change", function () {
      var option = districtSelect.options[districtSelect.selectedIndex];
      chooseDistrict(districtSelect.value, option ? option.text : "");
    });
  }
  wardSelect.addEventListener("change", function () {
    var option = wardSelect.options[wardSelect.selectedIndex];
    if (wardSelect.value) chooseWard(wardSelect.value, option.text);
  });

  // --- Place search (a combobox with a listbox of results) ------------------------------------------
  var placeInput = $("place-q");
  var placeList = $("place-results");
  var placeStatus = $("place-status");
  var places = [];
  var active = -1;
  var placeTimer = null;
  var placeSeq = 0;

  function closePlaces() {
    placeList.hidden = true;
    placeInput.setAttribute("aria-expanded", "false");
    placeInput.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function setActive(index) {
    var items = placeList.children;
    if (active >= 0 && items[active]) items[active].setAttribute("aria-selected", "false");
    active = index;
    if (active >= 0 && items[active]) {
      items[active].setAttribute("aria-selected", "true");
      placeInput.setAttribute("aria-activedescendant", items[active].id);
      items[active].scrollIntoView({ block: "nearest" });
    } else {
      placeInput.removeAttribute("aria-activedescendant");
    }
  }

  function renderPlaces() {
    placeList.innerHTML = "";
    places.forEach(function (place, index) {
      var item = el("li", { id: "place-option-" + index, role: "option", "aria-selected": "false", className: "combobox-option" }, [
        el("span", { className: "option-name", text: place.name }),
        place.parent ? el("span", { className: "option-parent", text: place.parent }) : null
      ]);
      item.addEventListener("mousedown", function (e) { e.preventDefault(); });
      item.addEventListener("click", function () { pickPlace(index); });
      placeList.appendChild(item);
    });
    placeList.hidden = places.length === 0;
    placeInput.setAttribute("aria-expanded", places.length ? "true" : "false");
    active = -1;
  }

  // Typing searches our own ward and district names; Enter also asks the street geocoder (when the server
  // has one), which must not be queried on every keystroke.
  function searchPlaces(explicit) {
    var q = placeInput.value.trim();
    if (q.length < 2) { places = []; renderPlaces(); placeStatus.textContent = ""; return; }
    var seq = ++placeSeq;
    var params = { q: q };
    if (explicit) params.geocode = 1;
    placeStatus.textContent = text.placesSearching;
    getJSON(data.placesUrl + "?" + query(params)).then(function (res) {
      if (seq !== placeSeq) return;
      places = res.ok && Array.isArray(res.body) ? res.body : [];
      renderPlaces();
      placeStatus.textContent = places.length ? say(text.placesFound, { count: places.length }) : text.placesNone;
    }).catch(function () {
      if (seq === placeSeq) placeStatus.textContent = text.placesFailed;
    });
  }

  function pickPlace(index) {
    var place = places[index];
    if (!place) return;
    placeInput.value = place.name;
    closePlaces();
    if (!place.code) {
      // A street address from the geocoder: its point is the pin.
      var latlng = L.latLng(place.lat, place.lng);
      setView(function () { map.setView(latlng, 17); });
      setPin(latlng);
      return;
    }
    if (place.level === 2 && districtSelect) {
      districtSelect.value = place.code;
      chooseDistrict(place.code, place.name);
      return;
    }
    // A ward: its district comes from locating its inner point.
    getJSON(data.locateUrl + "?" + query({ lat: place.lat, lng: place.lng })).then(function (res) {
      if (res.ok && res.body.district && districtSelect) {
        districtSelect.value = res.body.district.code;
        return fillWards(res.body.district.code, place.code);
      }
      wardSelect.value = place.code;
    }).then(function () {
      chooseWard(place.code, place.name);
    });
  }

  placeInput.addEventListener("input", function () {
    clearTimeout(placeTimer);
    placeTimer = setTimeout(function () { searchPlaces(false); }, 250);
  });
  placeInput.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown") {
      e.preventDefault();
      if (placeList.hidden && places.length) { placeList.hidden = false; placeInput.setAttribute("aria-expanded", "true"); }
      setActive(Math.min(active + 1, places.length - 1));
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      setActive(Math.max(active - 1, 0));
    } else if (e.key === "Enter") {
      // Enter in the search box must never send the report.
      e.preventDefault();
      if (active >= 0) pickPlace(active);
      else if (places.length === 1) pickPlace(0);
      else { clearTimeout(placeTimer); searchPlaces(true); }
    } else if (e.key === "Escape") {
      if (!placeList.hidden) { e.preventDefault(); closePlaces(); }
    }
  });
  placeInput.addEventListener("blur", function () { setTimeout(closePlaces, 150); });

  // --- Nearby open reports ("Đã có người phản ánh vấn đề này?") ---------------------------------------
  var nearby = $("nearby");
  var nearbyList = $("nearby-list");
  var nearbyStatus = $("nearby-status");
  var contact = $("support-contact");
  var supportError = $("support-error");
  var nearbySeq = 0;
  var supportCode = "";

  function hideNearby() {
    nearbySeq++;
    nearby.hidden = true;
    nearbyList.innerHTML = "";
    contact.hidden = true;
  }

  function checkNearby() {
    if (!categorySelect.value || !latInput.value) { hideNearby(); return; }
    var seq = ++nearbySeq;
    getJSON(data.nearbyUrl + "?" + query({ lat: latInput.value, lng: lngInput.value, category: categorySelect.value }))
      .then(function (res) {
        if (seq !== nearbySeq) return;
        var reports = res.ok && Array.isArray(res.body) ? res.body : [];
        if (!reports.length) { nearby.hidden = true; nearbyList.innerHTML = ""; return; }
        renderNearby(reports);
        nearbyStatus.textContent = say(text.nearbyFound, { count: reports.length });
      })
      .catch(function () { /* the check only helps; sending still works */ });
  }

  function renderNearby(reports) {
    nearbyList.innerHTML = "";
    nearbyList.hidden = false;
    $("nearby-intro").hidden = false;
    $("support-done").hidden = true;
    contact.hidden = true;
    reports.forEach(function (report) {
      var picture = (report.attachments || []).filter(function (a) { return a.thumbnail_url; })[0];
      var date = new Date(report.created_at);
      var button = el("button", { type: "button", className: "button-secondary", text: text.support });
      button.addEventListener("click", function () { startSupport(report.code, button); });
      var titleId = "nearby-" + report.code;
      button.setAttribute("aria-describedby", titleId);
      nearbyList.appendChild(el("li", { className: "nearby-item" }, [
        picture ? el("img", { src: picture.thumbnail_url, alt: "", width: "96", height: "72", loading: "lazy" }) : el("span", { className: "nearby-nopic", "aria-hidden": "true" }),
        el("div", { className: "nearby-body" }, [
          el("a", { id: titleId, href: report.url, target: "_blank", rel: "noopener", className: "nearby-title" }, [
            document.createTextNode(report.title + " "),
            el("span", { className: "visually-hidden", text: text.opensNewTab })
          ]),
          el("p", { className: "meta" }, [
            el("span", { className: "status status-" + report.status, text: report.status_label }),
            document.createTextNode(" · " + report.code + " · " + say(text.sentOn, { date: date.toLocaleDateString("vi-VN") }))
          ]),
          button
        ])
      ]));
    });
    nearby.hidden = false;
  }

  function mainContact() {
    return {
      name: form.elements.reporter_name.value.trim(),
      phone: form.elements.reporter_phone.value.trim(),
      email: form.elements.reporter_email.value.trim()
    };
  }

  function startSupport(code, button) {
    supportCode = code;
    var person = mainContact();
    if (person.name && (person.phone || person.email || signedIn)) {
      sendSupport(person, button);
      return;
    }
    $("support-name").value = person.name;
    $("support-phone").value = person.phone;
    $("support-email").value = person.email;
    $("support-otp-field").hidden = true;
    $("support-otp").value = "";
    supportError.hidden = true;
    contact.hidden = false;
    var first = !person.name ? "support-name" : "support-phone";
    $(first).focus();
  }

  function sendSupport(person, button) {
    var csrf = form.elements.csrfmiddlewaretoken ? form.elements.csrfmiddlewaretoken.value : "";
    var sendButton = button || $("support-send");
    var label = sendButton.textContent;
    sendButton.disabled = true;
    sendButton.textContent = text.supportSending;
    fetch(data.supportUrl.replace("CODE", encodeURIComponent(supportCode)), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      // One contact is confirmed by a one-time code: the phone when both are given.
      body: JSON.stringify({
        name: person.name, phone: person.phone, email: person.phone ? "" : person.email, otp: person.otp || ""
      })
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        return { ok: r.ok, status: r.status, body: body };
      });
    }).then(function (res) {
      sendButton.disabled = false;
      sendButton.textContent = label;
      if (res.status === 202) { askSupportCode(res.body.detail || "", person); return; }
      if (!res.ok) { showSupportError(res.body.detail || text.supportFailed, person); return; }
      contact.hidden = true;
      var done = $("support-done");
      done.innerHTML = "";
      done.appendChild(el("p", { text: say(text.supportDone, { code: res.body.code || supportCode }) }));
      done.appendChild(el("p", {}, [el("a", { href: res.body.url || "#", text: say(text.supportView, { code: res.body.code || supportCode }) })]));
      done.hidden = false;
      nearbyList.hidden = true;
      $("nearby-intro").hidden = true;
      done.focus();
    }).catch(function () {
      sendButton.disabled = false;
      sendButton.textContent = label;
      showSupportError(text.supportFailed, person);
    });
  }

  // The server sent a one-time code to the phone or e-mail: it must be typed back before anything is sent there.
  function askSupportCode(message, person) {
    $("support-name").value = person.name;
    $("support-phone").value = person.phone;
    $("support-email").value = person.phone ? "" : person.email;
    supportError.hidden = true;
    contact.hidden = false;
    $("support-otp-hint").textContent = message;
    $("support-otp-field").hidden = false;
    $("support-otp").value = "";
    $("support-otp").focus();
  }

  function showSupportError(message, person) {
    $("support-name").value = person.name;
    $("support-phone").value = person.phone;
    $("support-email").value = person.email;
    contact.hidden = false;
    supportError.textContent = message;
    supportError.hidden = false;
    supportError.setAttribute("role", "alert");
  }

  $("support-send").addEventListener("click", function () {
    var person = {
      name: $("support-name").value.trim(),
      phone: $("support-phone").value.trim(),
      email: $("support-email").value.trim(),
      otp: $("support-otp-field").hidden ? "" : $("support-otp").value.trim()
    };
    if (!person.name || !(person.phone || person.email || signedIn)) {
      showSupportError(text.supportNeedContact, person);
      return;
    }
    // What the person typed here also fills the sender's part of the form.
    if (!form.elements.reporter_name.value.trim()) form.elements.reporter_name.value = person.name;
    if (!form.elements.reporter_phone.value.trim()) form.elements.reporter_phone.value = person.phone;
    if (!form.elements.reporter_email.value.trim()) form.elements.reporter_email.value = person.email;
    sendSupport(person, null);
  });
  $("support-cancel").addEventListener("click", function () { contact.hidden = true; });
  categorySelect.addEventListener("change", checkNearby);

  // --- The chosen category's extra questions ----------------------------------------------------------
  // Every category's questions are in the page; only the chosen category's are shown and sent (a disabled
  // fieldset sends nothing), so answers to another category never reach the server.
  var questionGroups = form.querySelectorAll("fieldset.questions[data-category]");
  function showQuestions() {
    Array.prototype.forEach.call(questionGroups, function (group) {
      var chosen = group.getAttribute("data-category") === categorySelect.value;
      group.hidden = !chosen;
      group.disabled = !chosen;
    });
  }
  categorySelect.addEventListener("change", showQuestions);
  showQuestions();

  // --- Sender: organisation name only for organisations -----------------------------------------------
  var organization = $("organization-field");
  function toggleOrganization() {
    var checked = form.querySelector("input[name=reporter_type]:checked");
    organization.hidden = !(checked && checked.value === "organization");
  }
  Array.prototype.forEach.call(form.querySelectorAll("input[name=reporter_type]"), function (radio) {
    radio.addEventListener("change", toggleOrganization);
  });
  toggleOrganization();

  // --- Attachments: photos shrunk on the phone; say what was chosen and what will be refused ------------
  // The files that will be sent: the chosen ones (photos shrunk by photos.js) and the camera's. The
  // input's own files are replaced by these where the browser allows it, so the plain sending (no
  // fetch) sends the same.
  var fileInput = form.elements.attachments;
  var fileList = $("file-list");
  var fileStatus = $("file-status");
  var maxFiles = Number(data.maxFiles);
  var maxBytes = Number(data.maxBytes);
  var chosen = [];
  var fromCamera = [];
  var preparing = Promise.resolve();
  function sizeText(bytes) {
    return bytes >= 1048576 ? (bytes / 1048576).toFixed(1).replace(".", ",") + " MB" : Math.max(1, Math.round(bytes / 1024)) + " KB";
  }
  function prepared() { return chosen.concat(fromCamera); }
  function shrinkAll(files) {
    if (!window.GeoPhotos) return Promise.resolve(files.map(function (file) { return { file: file, was: file }; }));
    return Promise.all(files.map(function (file) {
      return GeoPhotos.shrink(file).then(function (small) { return { file: small, was: file }; });
    }));
  }
  function showFiles(items) {
    var files = prepared();
    fileList.innerHTML = "";
    var problems = [];
    files.forEach(function (file) {
      var item = (items || []).filter(function (i) { return i.file === file; })[0];
      var line = item && item.was !== file
        ? say(text.shrunk, { name: file.name, before: sizeText(item.was.size), after: sizeText(file.size) })
        : file.name + " (" + sizeText(file.size) + ")";
      fileList.appendChild(el("li", { text: line }));
      if (file.size > maxBytes) problems.push(say(text.fileTooLarge, { name: file.name, max: Math.round(maxBytes / 1048576) }));
    });
    if (files.length > maxFiles) problems.unshift(say(text.tooManyFiles, { max: maxFiles, extra: files.length - maxFiles }));
    fileList.hidden = files.length === 0;
    fileStatus.textContent = problems.join(" ");
    fileStatus.hidden = problems.length === 0;
  }
  function syncInput() {
    if (!window.DataTransfer) return;
    try {
      var transfer = new DataTransfer();
      prepared().forEach(function (file) { transfer.items.add(file); });
      fileInput.files = transfer.files;
    } catch (e) { /* the chosen originals stay in the input; the script sends the prepared ones */ }
  }
  var lastItems = [];
  function prepare(files, target) {
    fileStatus.textContent = text.shrinking;
    fileStatus.hidden = false;
    preparing = shrinkAll(files).then(function (items) {
      var small = items.map(function (i) { return i.file; });
      if (target === "camera") fromCamera = fromCamera.concat(small); else chosen = small;
      lastItems = lastItems.filter(function (i) { return prepared().indexOf(i.file) !== -1; }).concat(items);
      syncInput();
      showFiles(lastItems);
    });
    return preparing;
  }
  fileInput.addEventListener("change", function () {
    // Our own replacement of the input's files fires no change event; this is the person's choice.
    prepare(Array.prototype.slice.call(fileInput.files || []), "input");
  });
  var cameraInput = $("camera-input");
  $("camera-button").addEventListener("click", function () { cameraInput.click(); });
  cameraInput.addEventListener("change", function () {
    prepare(Array.prototype.slice.call(cameraInput.files || []), "camera");
    cameraInput.value = "";
  });

  // --- Captcha: a new picture on request --------------------------------------------------------------
  var refresh = form.querySelector(".captcha-refresh");
  if (refresh) {
    refresh.hidden = false;
    refresh.addEventListener("click", function () {
      fetch(refresh.dataset.url, { headers: { "X-Requested-With": "XMLHttpRequest", Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (body) {
          var image = form.querySelector(".captcha-image");
          image.src = body.image_url;
          image.srcset = body.image_url.replace(/\/$/, "") + "@2/ 2x";
          form.elements.captcha_0.value = body.key;
          // The spoken alternative follows the new picture.
          Array.prototype.forEach.call(form.querySelectorAll(".captcha-audio-player, .captcha-audio-link"), function (node) {
            if (body.audio_url) node[node.tagName === "A" ? "href" : "src"] = body.audio_url;
          });
          form.elements.captcha_1.value = "";
          form.elements.captcha_1.focus();
        })
        .catch(function () { window.alert(text.captchaFailed); });
    });
  }

  // --- Sending -----------------------------------------------------------------------------------------
  // Sent by the script so that a refusal (a limit, a wrong captcha, a missing field) leaves the page as it
  // is: browsers never refill a file input, so a reloaded form would lose the chosen photos. The
  // server's answer page is the same as without this script; only its messages are taken from it.
  // Every sending carries a key made here (the API's Idempotency-Key): when the connection drops, the
  // report is kept on the phone (drafts.js) with the same key and sent once when it returns, even if
  // the first attempt did reach the server.
  var submit = $("submit-report");
  var submitLabel = submit.textContent;
  var plainSubmit = HTMLFormElement.prototype.submit;
  var uploadBox = $("upload-box");
  var progress = $("upload-progress");
  var uploadStatus = $("upload-status");
  // drafts.js comes deferred in the page's head: it has run by DOMContentLoaded, after this script.
  var drafts = null;
  var editing = null;  // a draft kept on the phone, opened again to be corrected
  function whenDrafts(work) {
    function start() {
      if (window.GeoDrafts && GeoDrafts.supported()) drafts = GeoDrafts;
      work();
    }
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
  }

  function body() {
    var values = new FormData(form);
    values["delete"]("attachments");
    prepared().forEach(function (file) { values.append("attachments", file, file.name); });
    return values;
  }

  function showProgress(fraction) {
    uploadBox.hidden = false;
    var percent = Math.round(fraction * 100);
    progress.value = percent;
    uploadStatus.textContent = percent >= 100 ? text.uploaded : say(text.uploading, { percent: percent });
  }

  /* POST with upload progress (fetch cannot report it). Resolves with the answer; rejects when the
   * network failed (no answer at all). */
  function post(values, key) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action || window.location.href);
      xhr.setRequestHeader("X-Requested-With", "fetch");
      xhr.setRequestHeader("Accept", "text/html");
      if (key) xhr.setRequestHeader("Idempotency-Key", key);
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) showProgress(event.loaded / event.total);
      });
      xhr.addEventListener("load", function () {
        resolve({
          status: xhr.status,
          url: xhr.responseURL,
          html: (xhr.getResponseHeader("Content-Type") || "").indexOf("text/html") === 0,
          text: xhr.responseText
        });
      });
      xhr.addEventListener("error", function () { reject(new Error("network")); });
      xhr.addEventListener("abort", function () { reject(new Error("network")); });
      showProgress(0);
      xhr.send(values);
    });
  }

  function done() {
    submit.disabled = false;
    submit.textContent = submitLabel;
    uploadBox.hidden = true;
  }

  function keepOffline(key) {
    var options = { key: key, data: body(), title: form.elements.title.value.trim() };
    var saving = editing ? drafts.replace(editing.id, form, options) : drafts.save(form, options);
    return saving.then(function (draft) {
      editing = null;
      form.reset();
      chosen = [];
      fromCamera = [];
      showFiles([]);
      clearPin();
      showQuestions();
      var notice = $("draft-notice");
      notice.textContent = text.savedOffline;
      notice.hidden = false;
      done();
      notice.focus();
      document.dispatchEvent(new CustomEvent("drafts:changed", { detail: draft }));
    }, function () {
      done();
      window.alert(text.saveFailed);
    });
  }

  form.addEventListener("submit", function (event) {
    submit.disabled = true;
    submit.textContent = text.sending;
    if (!window.FormData || !window.DOMParser || !window.XMLHttpRequest) return;
    event.preventDefault();
    var key = editing ? editing.key : (drafts ? drafts.newKey() : "");
    preparing.then(function () {
      if (drafts && navigator.onLine === false) return keepOffline(key);
      return post(body(), key).then(function (answer) {
        var landed = answer.status >= 200 && answer.status < 300 && answer.url && answer.url.split("?")[0] !== (form.action || window.location.href).split("?")[0];
        if (landed) {
          var leave = function () { window.location.assign(answer.url); };
          if (editing) return drafts.remove(editing.id).then(leave, leave);
          leave();
          return null;
        }
        if (answer.status < 400 || answer.status >= 500 || !answer.html) throw new Error(String(answer.status));
        uploadBox.hidden = true;
        showRefusal(answer.text);
        return null;
      }, function () {
        // No answer: the connection dropped. Kept on the phone, sent when it returns (the same key).
        if (drafts) return keepOffline(key);
        plainSubmit.call(form);
        return null;
      });
    }).catch(function () {
      // Anything unexpected (a server error): send the plain way and show what comes back.
      plainSubmit.call(form);
    });
  });
  window.addEventListener("pageshow", done);

  // --- A draft kept on the phone, opened again to be corrected (the list's "open to correct") ----------
  var draftId = Number((window.location.search.match(/[?&]nhap=(\d+)/) || [])[1]);
  whenDrafts(function () {
    if (!drafts || !draftId) return;
    drafts.get(draftId).then(function (draft) {
      // Someone else's draft on a shared phone is not theirs to open.
      if (!draft || draft.status === "sent" || !drafts.mineHere(draft)) return;
      editing = draft;
      draft.fields.forEach(function (pair) {
        var name = pair[0];
        var value = pair[1];
        if (name.indexOf("captcha") === 0) return;
        var control = form.elements[name];
        if (!control) return;
        if (control.nodeType === undefined || control.type === "checkbox" || control.type === "radio") {
          var options = control.nodeType === undefined ? Array.prototype.slice.call(control) : [control];
          options.forEach(function (option) { if (option.value === value) option.checked = true; });
        } else {
          control.value = value;
        }
      });
      chosen = draft.files.map(function (file) { return new File([file.blob], file.name, { type: file.type }); });
      syncInput();
      showFiles([]);
      showQuestions();
      toggleOrganization();
      if (latInput.value && lngInput.value) {
        var pin = L.latLng(Number(latInput.value), Number(lngInput.value));
        showPin(pin);
        setView(function () { map.setView(pin, 15); });
        locate(pin);
      }
      var notice = $("draft-notice");
      notice.textContent = text.draftOpened;
      notice.hidden = false;
      notice.focus();
    });
  });

  function imported(node) { return node ? document.importNode(node, true) : null; }

  // The refused form as the server rendered it: its messages replace ours; what was typed, the pin and
  // the chosen files stay as they are.
  function showRefusal(html) {
    var answer = new DOMParser().parseFromString(html, "text/html");
    var fresh = answer.getElementById("report-form");
    if (!fresh) throw new Error("no form");

    var old = $("error-summary");
    if (old) old.parentNode.removeChild(old);
    var summary = imported(answer.getElementById("error-summary"));
    if (summary) form.parentNode.insertBefore(summary, form);

    // Field messages: drop ours, then put each of the server's at the same place in the same field.
    Array.prototype.forEach.call(form.querySelectorAll(".field .field-error"), function (node) {
      node.parentNode.removeChild(node);
    });
    Array.prototype.forEach.call(fresh.querySelectorAll(".field"), function (wrapper) {
      var control = wrapper.querySelector("[name]");
      var mine = control && form.elements[control.name];
      if (mine && !mine.nodeType) mine = mine[0];  // a group of radio buttons
      var target = mine && mine.closest(".field");
      if (!target) return;
      target.className = wrapper.className;
      Array.prototype.forEach.call(wrapper.querySelectorAll("[name]"), function (input) {
        var same = form.elements[input.name];
        if (!same || !same.nodeType) return;
        ["aria-invalid", "aria-describedby"].forEach(function (attribute) {
          if (input.hasAttribute(attribute)) same.setAttribute(attribute, input.getAttribute(attribute));
          else same.removeAttribute(attribute);
        });
      });
      var error = wrapper.querySelector(".field-error");
      if (!error) return;
      var parent = error.parentNode === wrapper ? target : target.querySelector("fieldset");
      var index = Array.prototype.indexOf.call(error.parentNode.children, error);
      parent.insertBefore(imported(error), parent.children[index] || null);
    });

    var location = $("location");
    var oldLocation = $("location-error");
    if (oldLocation) oldLocation.parentNode.removeChild(oldLocation);
    var locationError = imported(answer.getElementById("location-error"));
    if (locationError) $("location-hint").insertAdjacentElement("afterend", locationError);
    location.setAttribute("aria-describedby", answer.getElementById("location").getAttribute("aria-describedby"));

    // A captcha is used up once checked: the answer brings a new one.
    var key = fresh.querySelector("input[name=captcha_0]");
    if (key && form.elements.captcha_0) {
      form.elements.captcha_0.value = key.value;
      var image = form.querySelector(".captcha-image");
      var freshImage = fresh.querySelector(".captcha-image");
      image.src = freshImage.getAttribute("src");
      image.srcset = freshImage.getAttribute("srcset");
      form.elements.captcha_1.value = "";
    }

    var remaining = $("intake-remaining");
    if (remaining) remaining.parentNode.removeChild(remaining);
    var freshRemaining = imported(answer.getElementById("intake-remaining"));
    if (freshRemaining) submit.parentNode.insertBefore(freshRemaining, submit);

    submit.disabled = false;
    submit.textContent = submitLabel;
    if (summary) summary.focus();
  }

  // --- Coming back with errors: the pin where it was, the person's attention on what to fix ------------
  if (latInput.value && lngInput.value && !isNaN(Number(latInput.value)) && !isNaN(Number(lngInput.value))) {
    var back = L.latLng(Number(latInput.value), Number(lngInput.value));
    showPin(back);
    setView(function () { map.setView(back, 15); });
    locate(back);
    checkNearby();
  }
  var summary = $("error-summary");
  if (summary) summary.focus();

  window.ReportForm = { map: map, setPin: setPin };
})();

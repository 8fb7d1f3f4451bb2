/* The report form: list the warnings in force where the pin is (report-form.js says when it moves). */
(function () {
  "use strict";
  var box = document.getElementById("pin-alerts");
  if (!box) return;
  var seq = 0;
  function clear() { box.hidden = true; box.innerHTML = ""; }
  document.addEventListener("report:pin", function (event) {
    var latlng = event.detail;
    var mine = ++seq;
    if (!latlng) { clear(); return; }
    var url = box.dataset.activeUrl + "?lat=" + latlng.lat.toFixed(6) + "&lng=" + latlng.lng.toFixed(6);
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (alerts) {
        if (mine !== seq) return;
        clear();
        if (!alerts.length) return;
        var title = document.createElement("p");
        title.className = "pin-alerts-title";
        title.textContent = box.dataset.title;
        var list = document.createElement("ul");
        list.className = "pin-alerts";
        alerts.forEach(function (a) {
          var li = document.createElement("li");
          var link = document.createElement("a");
          link.href = a.url;
          link.textContent = a.headline;
          var strong = document.createElement("strong");
          strong.appendChild(link);
          var meta = document.createElement("span");
          meta.textContent = a.category_label + " · " + a.severity_label + " · " + a.agency;
          li.appendChild(strong);
          li.appendChild(meta);
          list.appendChild(li);
        });
        box.appendChild(title);
        box.appendChild(list);
        box.hidden = false;
      })
      .catch(function () { if (mine === seq) clear(); });
  });
})();

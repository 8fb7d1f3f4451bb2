/* Advanced search: the ward list shows only the wards of the chosen district. */
(function () {
  "use strict";
  var district = document.getElementById("id_district");
  var ward = document.getElementById("id_ward");
  if (!district || !ward) return;
  var first = ward.options[0] ? ward.options[0].cloneNode(true) : null;
  var groups = Array.prototype.map.call(ward.querySelectorAll("optgroup"), function (group) {
    return group.cloneNode(true);
  });

  function update() {
    var chosen = district.value ? district.options[district.selectedIndex].text : "";
    var keep = ward.value;
    ward.innerHTML = "";
    if (first) ward.appendChild(first.cloneNode(true));
    groups.forEach(function (group) {
      if (!chosen || group.label === chosen) ward.appendChild(group.cloneNode(true));
    });
    ward.value = keep;
    if (ward.value !== keep) ward.value = "";
  }

  district.addEventListener("change", update);
  if (district.value) update();
})();

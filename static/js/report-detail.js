/* The public report page: the small map of the pin, and focus on the "sent" box after sending. */
(function () {
  "use strict";
  var box = document.getElementById("report-map");
  if (box) GeoMap.pinMap(box, function () { document.getElementById("map-note").hidden = false; });
  var sent = document.getElementById("sent-box");
  if (sent) sent.focus();
})();

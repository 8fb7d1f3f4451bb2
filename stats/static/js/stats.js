/* Statistics page: draws the charts with Chart.js from /api/v1/stats/… The same numbers are in the
   tables beside each chart, rendered by the server, so the page works without this script. */
(function () {
  "use strict";
  var textNode = document.getElementById("stats-text");
  var text = textNode ? JSON.parse(textNode.textContent) : {};
  var canvases = document.querySelectorAll("canvas[data-source]");
  window.statsCharts = {};
  if (!canvases.length) return;

  // Colours with enough contrast on white; statuses match the status badges of the site.
  var BRAND = "#0b5394";
  var ANSWERED = "#1d6b35";
  var STATUS_COLOURS = {
    received: "#6b7280",
    forwarded: "#3b82c4",
    in_progress: "#d9a441",
    awaiting_approval: "#b45309",
    completed: "#2f8f4e",
    rejected: "#a4161a"
  };
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var language = document.documentElement.lang || "vi";

  function common() {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: reduceMotion ? false : { duration: 400 },
      locale: language,
      plugins: { legend: { labels: { boxWidth: 14 } } }
    };
  }

  function lineChart(canvas, rows) {
    var options = common();
    options.scales = { y: { beginAtZero: true, ticks: { precision: 0 } } };
    options.interaction = { mode: "index", intersect: false };
    return new window.Chart(canvas, {
      type: "line",
      data: {
        labels: rows.map(function (r) { return r.label; }),
        datasets: [
          { label: text.received, data: rows.map(function (r) { return r.received; }), borderColor: BRAND,
            backgroundColor: BRAND, tension: 0.2, pointRadius: 3 },
          { label: text.answered, data: rows.map(function (r) { return r.answered; }), borderColor: ANSWERED,
            backgroundColor: ANSWERED, borderDash: [6, 4], tension: 0.2, pointRadius: 3 }
        ]
      },
      options: options
    });
  }

  function shorten(label) {
    var max = window.innerWidth < 600 ? 18 : 40;
    return label.length > max ? label.slice(0, max - 1) + "…" : label;
  }

  function barChart(canvas, rows) {
    // One bar per category: the box grows with the list instead of squeezing the bars.
    canvas.parentNode.style.height = Math.max(200, rows.length * 34 + 60) + "px";
    var options = common();
    // Horizontal bars: long category names stay readable on a phone.
    options.indexAxis = "y";
    options.scales = {
      x: { beginAtZero: true, ticks: { precision: 0 } },
      // Long category names are shortened on the axis; the tooltip and the table keep them whole.
      y: { ticks: { callback: function (value) { return shorten(this.getLabelForValue(value)); } } }
    };
    options.plugins.legend.display = false;
    return new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: rows.map(function (r) { return r.label; }),
        datasets: [{ label: text.reports, data: rows.map(function (r) { return r.received; }), backgroundColor: BRAND }]
      },
      options: options
    });
  }

  function doughnutChart(canvas, rows) {
    rows = rows.filter(function (r) { return r.received > 0; });
    var options = common();
    options.plugins.legend.position = "bottom";
    return new window.Chart(canvas, {
      type: "doughnut",
      data: {
        labels: rows.map(function (r) { return r.label; }),
        datasets: [{
          label: text.reports,
          data: rows.map(function (r) { return r.received; }),
          backgroundColor: rows.map(function (r) { return STATUS_COLOURS[r.key] || "#9ca3af"; }),
          borderColor: "#fff"
        }]
      },
      options: options
    });
  }

  var draw = { line: lineChart, bar: barChart, doughnut: doughnutChart };
  if (window.Chart) {
    // Darker, larger text than Chart.js's default grey, for contrast on cheap screens.
    window.Chart.defaults.color = "#374151";
    window.Chart.defaults.font.size = 13;
  }

  function fail(canvas) {
    var note = document.createElement("p");
    note.className = "chart-failed";
    note.setAttribute("role", "status");
    note.textContent = text.failed;
    canvas.parentNode.replaceWith(note);
  }

  Array.prototype.forEach.call(canvases, function (canvas) {
    if (!window.Chart) { fail(canvas); return; }
    fetch(canvas.dataset.source, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (payload) {
        window.statsCharts[canvas.id] = draw[canvas.dataset.kind](canvas, payload.results || []);
        canvas.dataset.drawn = "true";
      })
      .catch(function () { fail(canvas); });
  });
})();

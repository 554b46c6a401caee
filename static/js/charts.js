// Draws a Chart.js bar chart on every <canvas data-chart="ID">, from the JSON in <script id="ID"> that
// Django's json_script wrote. No inline script or style: the page can run under a strict CSP.
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") {
    return;
  }
  // Dark enough for 3:1 against white (WCAG non-text contrast); one colour per series.
  var palette = ["#1f5fa8", "#a3470b", "#2e6b30", "#6a3d9a"];
  var bodyStyle = window.getComputedStyle(document.body);
  window.Chart.defaults.color = bodyStyle.color;
  window.Chart.defaults.font.family = bodyStyle.fontFamily;

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    if (spec.horizontal) {
      // One bar a line: the box grows with the labels (CSSOM, which a CSP allows, unlike style attributes).
      canvas.parentElement.style.blockSize = Math.max(160, spec.labels.length * 34 + 56) + "px";
    }
    var valueAxis = spec.horizontal ? "x" : "y";
    var scales = {};
    scales[valueAxis] = { beginAtZero: true, ticks: { precision: 0 } };
    // Long labels are shortened on the chart only; the table beside it has them in full.
    scales[spec.horizontal ? "y" : "x"] = {
      ticks: {
        callback: function (value) {
          var label = String(this.getLabelForValue(value));
          return label.length > 28 ? label.slice(0, 27) + "\u2026" : label;
        }
      }
    };
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (series, index) {
          return { label: series.label, data: series.data, backgroundColor: palette[index % palette.length] };
        })
      },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: scales,
        plugins: { legend: { display: spec.series.length > 1 } }
      }
    });
  }

  document.querySelectorAll("canvas[data-chart]").forEach(draw);
})();

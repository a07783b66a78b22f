// Draws every <canvas data-chart='{"type", "labels", "series"}'> with Chart.js. The numbers are
// in the page (and in the table under each chart), never fetched; no inline script (CSP).
(function () {
  "use strict";

  const colours = ["#2f6fdb", "#f0a202", "#2e7d32", "#c62828"];

  function draw(canvas) {
    const spec = JSON.parse(canvas.dataset.chart);
    const line = spec.type === "line";
    new Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (series, i) {
          return {
            label: series.name,
            data: series.values,
            backgroundColor: colours[i % colours.length],
            borderColor: colours[i % colours.length],
            borderWidth: line ? 2 : 0,
            pointRadius: line ? 0 : undefined,
            spanGaps: true,
          };
        }),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: spec.series.length > 1 } },
        scales: { y: { beginAtZero: true, ticks: { precision: spec.integer ? 0 : undefined } } },
      },
    });
    canvas.dataset.drawn = "true";
  }

  function drawAll() {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();

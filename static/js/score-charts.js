// Patient page: draw the score charts from the JSON data island (no inline script, for CSP).
(function () {
  "use strict";

  document.querySelectorAll("[data-figures]").forEach(function (container) {
    var source = document.getElementById(container.dataset.figures);
    if (!source || !window.Plotly) {
      return;
    }
    JSON.parse(source.textContent).forEach(function (figure) {
      var chart = document.createElement("div");
      chart.className = "score-chart";
      container.appendChild(chart);
      window.Plotly.newPlot(chart, figure.data, figure.layout, figure.config);
    });
  });
})();

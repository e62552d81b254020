// Report page: draw each chart from the JSON data island (no inline script, for CSP).
(function () {
  "use strict";

  var source = document.getElementById("report-figures");
  if (!source || !window.Plotly) {
    return;
  }
  var figures = JSON.parse(source.textContent);
  document.querySelectorAll("[data-figure]").forEach(function (container) {
    var figure = figures[container.dataset.figure];
    if (figure) {
      window.Plotly.newPlot(container, figure.data, figure.layout, figure.config);
    }
  });
})();

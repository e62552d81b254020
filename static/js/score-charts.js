// Patient page: draw the timeline (scores over the trials, one date axis) from its JSON data
// island (no inline script, for CSP). The figure has no fixed width: plotly fills its card and
// follows it when the window is resized (config.responsive).
(function () {
  "use strict";

  document.querySelectorAll("[data-figure]").forEach(function (chart) {
    var source = document.getElementById(chart.dataset.figure);
    if (!source || !window.Plotly) {
      return;
    }
    var figure = JSON.parse(source.textContent);
    window.Plotly.newPlot(chart, figure.data, figure.layout, figure.config);
  });
})();

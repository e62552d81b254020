// Cohort page: draw the figures of the JSON data island (no inline script, for CSP); a click on
// a cell of the concordance heat map opens the patients where those two models disagree.
(function () {
  "use strict";

  var source = document.getElementById("cohort-figures");
  if (!source || !window.Plotly) {
    return;
  }
  var figures = JSON.parse(source.textContent);

  function draw(container, figure) {
    window.Plotly.newPlot(container, figure.data, figure.layout, figure.config);
  }

  // A row of small charts: each container (with its label and table) names its figure's index.
  document.querySelectorAll("[data-cohort-figures]").forEach(function (row) {
    var list = figures[row.dataset.cohortFigures] || [];
    row.querySelectorAll("[data-cohort-figure-index]").forEach(function (container) {
      var figure = list[Number(container.dataset.cohortFigureIndex)];
      if (figure) {
        draw(container, figure);
      }
    });
  });

  document.querySelectorAll("[data-cohort-figure]").forEach(function (container) {
    var figure = figures[container.dataset.cohortFigure];
    if (!figure) {
      return;
    }
    draw(container, figure);
    if (figure.links) {
      container.on("plotly_click", function (event) {
        var point = event.points[0];
        var url = figure.links[point.pointIndex[0]][point.pointIndex[1]];
        if (url) {
          window.location.assign(url);
        }
      });
    }
  });
})();

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

  document.querySelectorAll("[data-cohort-figures]").forEach(function (row) {
    (figures[row.dataset.cohortFigures] || []).forEach(function (figure) {
      var cell = document.createElement("div");
      cell.className = "col";
      row.appendChild(cell);
      draw(cell, figure);
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

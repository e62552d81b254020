/* Stage over time: one small chart per model on a shared date axis, drawn with plotly.js.
 *
 * The data come from a <script type="application/json"> island (records/staging.py,
 * StageSeries.data) named by the container's data-stage-chart attribute; no inline script, so
 * the page works under a strict Content-Security-Policy. Small multiples, because the models'
 * scales (ordinal stages, scores, definitions met or not) are not comparable on one axis.
 */
(function () {
  "use strict";

  // Row heights in pixels: an ordinal stage gets room for each of its levels, so ticks never
  // overlap; scores get a little more room than yes/no definitions.
  var PX_PER_LEVEL = 18;
  var SCORE_HEIGHT = 80;
  var MET_HEIGHT = 50;
  var TITLE_GAP = 30;
  var MARGIN = { l: 110, r: 20, t: 10, b: 40 };
  var LINE_COLOUR = "#1f4e79";

  function axisName(index, prefix) {
    return index === 0 ? prefix : prefix + String(index + 1);
  }

  function rowHeight(model) {
    if (model.kind === "stage") {
      return Math.max(MET_HEIGHT, model.tickvals.length * PX_PER_LEVEL);
    }
    return model.kind === "score" ? SCORE_HEIGHT : MET_HEIGHT;
  }

  function yAxis(model, domain) {
    var axis = {
      domain: domain,
      anchor: "x",
      zeroline: false,
      fixedrange: true,
      automargin: true,
      tickfont: { size: 10 },
    };
    if (model.tickvals) {
      axis.tickvals = model.tickvals;
      axis.ticktext = model.ticktext;
      axis.range = [-0.4, model.tickvals.length - 0.6];
    } else {
      axis.rangemode = "tozero";
      axis.nticks = 4;
    }
    return axis;
  }

  function draw(container) {
    var island = document.getElementById(container.getAttribute("data-stage-chart"));
    if (!island || typeof window.Plotly === "undefined") {
      return;
    }
    var data = JSON.parse(island.textContent);
    var heights = data.models.map(rowHeight);
    var plotHeight = heights.reduce(function (sum, h) {
      return sum + h + TITLE_GAP;
    }, 0);
    var traces = [];
    var annotations = [];
    var layout = {
      height: plotHeight + MARGIN.t + MARGIN.b,
      margin: MARGIN,
      showlegend: false,
      hovermode: "closest",
      font: { size: 11 },
      xaxis: {
        type: "date",
        range: data.range,
        fixedrange: true,
        anchor: axisName(data.models.length - 1, "y"),
      },
    };
    var top = plotHeight;
    data.models.forEach(function (model, index) {
      var yName = axisName(index, "y");
      var upper = top - TITLE_GAP;
      var lower = upper - heights[index];
      top = lower;
      traces.push({
        type: "scatter",
        mode: "lines+markers",
        name: model.label,
        x: data.dates,
        y: model.values,
        text: model.shown,
        customdata: data.events,
        xaxis: "x",
        yaxis: yName,
        line: { shape: "hv", color: LINE_COLOUR, width: 2 },
        marker: { size: 6, color: LINE_COLOUR },
        connectgaps: false,
        hovertemplate:
          "%{x|%d %b %Y}: %{text}<br>after %{customdata}<extra>" + model.label + "</extra>",
      });
      layout[axisName(index, "yaxis")] = yAxis(model, [lower / plotHeight, upper / plotHeight]);
      annotations.push({
        text: "<b>" + model.label + "</b>",
        xref: "paper",
        yref: "paper",
        x: 0,
        y: upper / plotHeight,
        xanchor: "left",
        yanchor: "bottom",
        showarrow: false,
        font: { size: 11 },
      });
    });
    layout.annotations = annotations;
    window.Plotly.newPlot(container, traces, layout, {
      displaylogo: false,
      responsive: true,
      modeBarButtonsToRemove: ["select2d", "lasso2d"],
    });
  }

  document.querySelectorAll("[data-stage-chart]").forEach(draw);
})();

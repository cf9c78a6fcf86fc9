// Draw the SPC chart whose Plotly figure and options the page carries in the chart's data-figure
// attribute (an attribute, escaped like any other text, so no label can end a script), in place of
// the same chart drawn on the server, shown until now (ADR 37).
(function () {
  var chart = document.getElementById("chart");
  if (!chart || !chart.dataset.figure || !window.Plotly) return;
  var figure = JSON.parse(chart.dataset.figure);
  chart.replaceChildren();
  Plotly.newPlot(chart, figure.data, figure.layout, figure.config);
})();

// Draw the observed ÷ expected funnel the funnel page carries, as chart.js draws the page's first.
(function () {
  var chart = document.getElementById("chart-oe");
  if (!chart || !chart.dataset.figure || !window.Plotly) return;
  var figure = JSON.parse(chart.dataset.figure);
  Plotly.newPlot(chart, figure.data, figure.layout, figure.config);
})();

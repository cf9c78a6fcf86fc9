// Draw the SPC chart whose Plotly figure the page embeds as JSON.
(function () {
  var data = document.getElementById("chart-figure");
  if (!data || !window.Plotly) return;
  var figure = JSON.parse(data.textContent);
  Plotly.newPlot("chart", figure.data, figure.layout, { displaylogo: false, responsive: true });
})();

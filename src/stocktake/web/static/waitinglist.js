// The Waiting list page's scenario: each slider's number kept beside it as it moves, and the
// scenario's chart drawn on load and again whenever htmx swaps in new results (a file, not an
// inline script: the CSP runs only the app's own files). Without JavaScript the form sends the
// same GET parameters and the server draws the numbers; the chart is then the table below it.
(function () {
  function draw(root) {
    if (!window.Plotly || !root.querySelectorAll) return;
    root.querySelectorAll(".scenario-chart[data-figure]").forEach(function (chart) {
      var figure = JSON.parse(chart.dataset.figure);
      Plotly.purge(chart);
      Plotly.newPlot(chart, figure.data, figure.layout, figure.config);
    });
  }
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("#scenario-form input[type=range]")) return;
    var shown = document.getElementById(input.id + "-value");
    if (shown) shown.value = input.value;
  });
  draw(document);
  // After the settle, not the swap: htmx settles the new elements' attributes (class included)
  // after swapping them in, which would take away the class Plotly gives its chart.
  document.body.addEventListener("htmx:afterSettle", function (event) {
    draw(event.detail.target);
  });
  document.body.addEventListener("htmx:historyRestore", function () {
    draw(document);
  });
})();

// The visitor board: the cumulative water against the practice (vendored uPlot), and a reload
// every data-refresh-s seconds.
(function () {
  "use strict";
  var body = document.getElementById("board");
  var every = parseInt(body && body.getAttribute("data-refresh-s"), 10) || 60;
  window.setTimeout(function () { window.location.reload(); }, every * 1000);
  var box = document.getElementById("board-chart");
  if (!box || typeof uPlot === "undefined") return;
  var d = JSON.parse(box.getAttribute("data-series") || "{}");
  var labels = JSON.parse(box.getAttribute("data-labels") || "{}");
  if (!d.t || d.t.length === 0) {
    box.classList.add("empty");
    box.textContent = labels.no_data || "–";
    return;
  }
  var DAY = 86400;
  var lo = d.t[0], hi = d.t[d.t.length - 1] + DAY;  // the season so far, whole days
  var top = Math.max.apply(null, d.baseline.concat(d.applied).concat([1]));
  function width() { return Math.max(300, box.clientWidth - 8); }
  function height() { return window.innerWidth < 600 ? 240 : 380; }
  var dates = window.qanatChartDates ? window.qanatChartDates(labels, box.getAttribute("data-tz")) : {};
  var opts = {
    fmtDate: dates.fmtDate,
    tzDate: dates.tzDate,
    width: width(),
    height: height(),
    scales: { x: { time: true, range: [lo, hi] }, y: { range: [0, top * 1.1] } },
    axes: [{}, { label: labels.unit, size: 60 }],
    series: [{ label: labels.time || "", value: dates.legend },
      { label: labels.applied, stroke: "#0a6b2d", width: 3, fill: "#0a6b2d22" },
      { label: labels.baseline, stroke: "#9a5b00", width: 3, dash: [8, 6] }],
  };
  var chart = new uPlot(opts, [d.t, d.applied, d.baseline], box);
  window.addEventListener("resize", function () { chart.setSize({ width: width(), height: height() }); });
})();

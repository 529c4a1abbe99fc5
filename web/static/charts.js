// Zone charts drawn with the vendored uPlot from /zones/<name>/chart.json?range=7|30|season.
(function () {
  "use strict";
  var box = document.getElementById("charts");
  if (!box || typeof uPlot === "undefined") return;
  var labels = JSON.parse(box.getAttribute("data-labels") || "{}");
  var charts = [];
  var COLORS = ["#0050b3", "#b00020", "#0a6b2d", "#9a5b00", "#6a1b9a"];

  function width() { return Math.max(300, box.clientWidth - 24); }

  function draw(id, data, series, opts) {
    var el = document.getElementById(id);
    el.innerHTML = "";
    var empty = !data[0] || data[0].length === 0;
    el.classList.toggle("empty", empty);
    if (empty) {
      el.textContent = labels.no_data || "–";
      return;
    }
    var options = Object.assign({ width: width(), height: 200, series: [{}].concat(series),
      scales: { x: { time: true } } }, opts || {});
    charts.push(new uPlot(options, data, el));
  }

  function line(label, i, dash) {
    return { label: label, stroke: COLORS[i % COLORS.length], width: 2, dash: dash };
  }
  function bars(label, i) {
    return { label: label, stroke: COLORS[i % COLORS.length], fill: COLORS[i % COLORS.length] + "88",
      paths: uPlot.paths.bars({ size: [0.6, 40] }), points: { show: false } };
  }

  function moisture(d) {
    var depths = Object.keys(d.moisture);
    if (depths.length === 0) { draw("chart-moisture", [[]], []); return; }
    var times = {};
    depths.forEach(function (k) { d.moisture[k].t.forEach(function (t) { times[t] = true; }); });
    var xs = Object.keys(times).map(Number).sort(function (a, b) { return a - b; });
    var data = [xs];
    depths.forEach(function (k) {
      var at = {};
      d.moisture[k].t.forEach(function (t, i) { at[t] = d.moisture[k].v[i]; });
      data.push(xs.map(function (t) { return t in at ? at[t] : null; }));
    });
    draw("chart-moisture", data, depths.map(function (k, i) {
      return Object.assign(line((labels.depth || "") + " " + Math.round(parseFloat(k) * 100) + " cm", i),
        { spanGaps: true });
    }));
  }

  function load(range) {
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    Array.prototype.forEach.call(box.querySelectorAll(".range"), function (b) {
      b.classList.toggle("active", b.getAttribute("data-range") === range);
    });
    fetch(box.getAttribute("data-src") + "?range=" + encodeURIComponent(range),
      { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (d) {
        moisture(d);
        draw("chart-depletion", [d.days, d.dr_mm, d.raw_mm, d.taw_mm],
          [line(labels.dr, 0), line(labels.raw, 3, [6, 4]), line(labels.taw, 1, [2, 4])]);
        draw("chart-et", [d.days, d.et0_mm, d.etc_mm], [line(labels.et0, 3), line(labels.etc, 2)]);
        draw("chart-water", [d.days, d.rain_mm, d.irrigation_mm],
          [bars(labels.rain, 0), bars(labels.irrigation, 2)]);
        draw("chart-fertilizer", [d.fertilizer.days, d.fertilizer.kg], [bars(labels.kg, 3)]);
      })
      .catch(function () { /* leave the charts empty */ });
  }

  box.addEventListener("click", function (e) {
    var range = e.target.getAttribute && e.target.getAttribute("data-range");
    if (range) load(range);
  });
  load("7");
})();

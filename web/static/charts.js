// Zone charts drawn with the vendored uPlot from /zones/<name>/chart.json?range=7|30|season.
(function () {
  "use strict";
  var box = document.getElementById("charts");
  if (!box || typeof uPlot === "undefined") return;
  var labels = JSON.parse(box.getAttribute("data-labels") || "{}");
  var charts = [];
  var COLORS = ["#0050b3", "#b00020", "#0a6b2d", "#9a5b00", "#6a1b9a"];

  function width() { return Math.max(300, box.clientWidth - 24); }

  // The time axis spans the chosen window (chart.json's from .. to, epoch seconds), whatever
  // the series hold: a 7-day chart with one point still spans 7 days. Every value axis is
  // labelled with its unit; a series with no point says so instead of drawing an empty frame.
  var span = { from: null, to: null };

  function draw(id, data, series, unit) {
    var el = document.getElementById(id);
    el.innerHTML = "";
    var empty = !data[0] || data[0].length === 0;
    el.classList.toggle("empty", empty);
    if (empty) {
      el.textContent = labels.no_data || "–";
      return;
    }
    var x = { time: true };
    if (span.from !== null && span.to > span.from) x.range = [span.from, span.to];
    // what the time axis really spans once drawn, for whoever checks it (epoch seconds)
    function spanned(u, key) {
      if (key !== "x") return;
      el.setAttribute("data-x-min", String(Math.round(u.scales.x.min)));
      el.setAttribute("data-x-max", String(Math.round(u.scales.x.max)));
    }
    var dates = window.qanatChartDates ? window.qanatChartDates(labels, box.getAttribute("data-tz")) : {};
    var options = { width: width(), height: 200, fmtDate: dates.fmtDate, tzDate: dates.tzDate,
      series: [{ label: labels.time || "", value: dates.legend }].concat(series),
      scales: { x: x },
      axes: [{}, { label: unit || "", size: 60 }],
      hooks: { setScale: [spanned] } };
    charts.push(new uPlot(options, data, el));
  }

  function line(label, i, dash) {
    return { label: label, stroke: COLORS[i % COLORS.length], width: 2, dash: dash,
      points: { show: true, size: 5 } };
  }
  function bars(label, i) {
    return { label: label, stroke: COLORS[i % COLORS.length], fill: COLORS[i % COLORS.length] + "88",
      paths: uPlot.paths.bars({ size: [0.6, 40] }), points: { show: false } };
  }

  function moisture(d) {
    var depths = Object.keys(d.moisture);
    if (depths.length === 0) { draw("chart-moisture", [[]], [], labels.unit_moisture); return; }
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
    }), labels.unit_moisture);
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
        span = { from: d.from, to: d.to };
        moisture(d);
        draw("chart-depletion", [d.days, d.dr_mm, d.raw_mm, d.taw_mm],
          [line(labels.dr, 0), line(labels.raw, 3, [6, 4]), line(labels.taw, 1, [2, 4])],
          labels.unit_depletion);
        draw("chart-et", [d.days, d.et0_mm, d.etc_mm], [line(labels.et0, 3), line(labels.etc, 2)], labels.unit_et);
        draw("chart-water", [d.days, d.rain_mm, d.irrigation_mm],
          [bars(labels.rain, 0), bars(labels.irrigation, 2)], labels.unit_water);
        draw("chart-fertilizer", [d.fertilizer.days, d.fertilizer.kg], [bars(labels.kg, 3)], labels.unit_fertilizer);
      })
      .catch(function () { /* leave the charts empty */ });
  }

  box.addEventListener("click", function (e) {
    var range = e.target.getAttribute && e.target.getAttribute("data-range");
    if (range) load(range);
  });
  load("7");
})();

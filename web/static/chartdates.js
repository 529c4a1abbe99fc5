// The charts' dates in the page's language: uPlot names months and weekdays in English
// ("May", "Jun") and its legend says "7/6/26 11:00pm"; the pages pass the catalog's names
// (data-labels "months", "weekdays": comma-separated) and every date reads 2026-07-06 23:00.
// The dates are the site's (data-tz: its IANA zone, e.g. Asia/Shanghai), not the browser's:
// a viewer set to UTC sees the site's midnight as 00:00, not as 16:00 of the day before.
(function () {
  "use strict";
  window.qanatChartDates = function (labels, tz) {
    var dates = {};
    if (tz) {
      // x values are epoch seconds; uPlot.tzDate gives a Date whose local fields are tz's
      dates.tzDate = function (ts) { return uPlot.tzDate(new Date(ts * 1e3), tz); };
    }
    var months = (labels.months || "").split(",");
    var weekdays = (labels.weekdays || "").split(",");
    if (months.length !== 12 || weekdays.length !== 7) return dates;
    var names = { MMMM: months, MMM: months, WWWW: weekdays, WWW: weekdays };
    dates.fmtDate = function (tpl) { return uPlot.fmtDate(tpl, names); };
    dates.legend = "{YYYY}-{MM}-{DD} {HH}:{mm}";
    return dates;
  };
})();

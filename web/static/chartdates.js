// The charts' dates in the page's language: uPlot names months and weekdays in English
// ("May", "Jun") and its legend says "7/6/26 11:00pm"; the pages pass the catalog's names
// (data-labels "months", "weekdays": comma-separated) and every date reads 2026-07-06 23:00.
(function () {
  "use strict";
  window.qanatChartDates = function (labels) {
    var months = (labels.months || "").split(",");
    var weekdays = (labels.weekdays || "").split(",");
    if (months.length !== 12 || weekdays.length !== 7) return {};
    var names = { MMMM: months, MMM: months, WWWW: weekdays, WWW: weekdays };
    return {
      fmtDate: function (tpl) { return uPlot.fmtDate(tpl, names); },
      legend: "{YYYY}-{MM}-{DD} {HH}:{mm}",
    };
  };
})();

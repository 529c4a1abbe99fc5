// qanat pages: confirmation before state-changing forms, and the overview's refresh.
// No framework, no external resource (the page's Content-Security-Policy forbids them).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  var live = document.getElementById("live");
  if (!live) return;
  var url = live.getAttribute("data-refresh");
  var every = parseInt(live.getAttribute("data-every") || "3000", 10);
  var FIELDS = "input:not([type=hidden]), select, textarea";

  // The fields of the refreshed part someone changed (a zone's minutes typed, then the
  // keyboard closed): [form action, field name, value], to be put back after a refresh.
  function typed() {
    var kept = [];
    Array.prototype.forEach.call(live.querySelectorAll(FIELDS), function (el) {
      var changed = el.tagName === "SELECT"
        ? Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; })
        : el.value !== el.defaultValue;
      if (changed && el.form && el.name) kept.push([el.form.getAttribute("action"), el.name, el.value]);
    });
    return kept;
  }

  function putBack(kept) {
    kept.forEach(function (k) {
      Array.prototype.forEach.call(live.querySelectorAll("form"), function (form) {
        if (form.getAttribute("action") === k[0] && form.elements[k[1]]) form.elements[k[1]].value = k[2];
      });
    });
  }

  function refresh() {
    // Not while someone is typing into a form inside the refreshed part.
    var active = document.activeElement;
    if (live.contains(active) && (active.tagName === "INPUT" || active.tagName === "SELECT")) {
      return;
    }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (r.redirected || r.status === 401) { window.location.reload(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (html === null || html === undefined) return;
        var kept = typed();
        live.innerHTML = html;
        putBack(kept);
      })
      .catch(function () { /* the box may be restarting: try again at the next tick */ });
  }
  window.setInterval(refresh, every);
})();

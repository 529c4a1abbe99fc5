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
  function refresh() {
    // Not while someone is typing into a form inside the refreshed part.
    if (live.contains(document.activeElement) && document.activeElement.tagName === "INPUT") {
      return;
    }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (r.redirected || r.status === 401) { window.location.reload(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) { if (html !== null && html !== undefined) live.innerHTML = html; })
      .catch(function () { /* the box may be restarting: try again at the next tick */ });
  }
  window.setInterval(refresh, every);
})();

// Refreshes the live part of the queue page every 15 seconds. It never
// replaces the part the user is working in (focus inside it), so nothing
// being typed or chosen is lost; everything works without this script.
(function () {
  "use strict";
  var live = document.getElementById("queue-live");
  if (!live || !window.fetch) { return; }
  var url = live.getAttribute("data-refresh");
  function refresh() {
    if (document.hidden || live.contains(document.activeElement)) { return; }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html !== null && !live.contains(document.activeElement)) { live.innerHTML = html; }
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }
  window.setInterval(refresh, 15000);
})();

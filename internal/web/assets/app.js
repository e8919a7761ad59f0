// dvmm's page script. Every page works without it; it only keeps "live"
// regions current: an element with data-live="/live/..." gets its new
// HTML from server-sent events, rendered by the server's templates.
(function () {
  "use strict";
  var open = [];
  function connect() {
    // Close the streams of regions a navigation removed.
    open = open.filter(function (o) {
      if (document.body.contains(o.el)) { return true; }
      o.es.close();
      return false;
    });
    document.querySelectorAll("[data-live]").forEach(function (el) {
      if (!el.dataset.live || open.some(function (o) { return o.el === el; })) { return; }
      var es = new EventSource(el.dataset.live);
      es.addEventListener("update", function (e) {
        el.innerHTML = e.data;
        if (window.htmx) { window.htmx.process(el); }
      });
      es.addEventListener("done", function () { es.close(); });
      es.addEventListener("gone", function () { es.close(); });
      open.push({ el: el, es: es });
    });
  }
  document.addEventListener("DOMContentLoaded", connect);
  document.addEventListener("htmx:afterSettle", connect);
})();

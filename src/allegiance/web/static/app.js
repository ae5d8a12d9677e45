// Shared page behaviour: the CSRF token for scripted requests, and the progress bars of runs
// (polling /api/runs/{id}, with the time left) that reload the page when the runs end.
"use strict";
window.Allegiance = window.Allegiance || {};
Allegiance.csrf = function () {
  var meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute("content") : "";
};
Allegiance.readJSON = function (id) {
  var node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
};
(function () {
  var bars = Array.prototype.slice.call(document.querySelectorAll(".progress[data-run]"));
  if (!bars.length) { return; }
  function left(run) {
    if (!run.started_at || !run.progress || run.progress <= 0) { return ""; }
    var elapsed = (Date.now() - Date.parse(run.started_at)) / 1000;
    var seconds = Math.max(0, elapsed * (1 - run.progress) / run.progress);
    return seconds < 90 ? ", about " + Math.round(seconds) + " s left"
                        : ", about " + Math.round(seconds / 60) + " min left";
  }
  function poll() {
    var pending = bars.map(function (bar) {
      return fetch("/api/runs/" + bar.getAttribute("data-run"), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (run) {
          if (!run) { return true; }
          var pct = (run.progress || 0) * 100;
          bar.querySelector(".fill").style.width = pct.toFixed(1) + "%";
          bar.querySelector(".progress-text").textContent = "run #" + run.id + " (" + run.kind +
            "): " + run.status + (run.status === "running" ?
              " " + pct.toFixed(pct < 10 ? 1 : 0) + "%" + left(run) : "");
          return run.status !== "queued" && run.status !== "running";
        });
    });
    Promise.all(pending).then(function (ended) {
      if (ended.every(Boolean)) { window.location.reload(); } else { setTimeout(poll, 1000); }
    });
  }
  setTimeout(poll, 600);
})();

// The run form: show the chosen model's parameters and the chosen analysis' settings.
"use strict";
(function () {
  var model = document.getElementById("run-model"), kind = document.getElementById("run-kind");
  if (!model || !kind) { return; }
  function update() {
    document.querySelectorAll(".model-params").forEach(function (f) {
      f.classList.toggle("shown", f.getAttribute("data-model") === model.value);
    });
    document.querySelectorAll(".kind-options fieldset").forEach(function (f) {
      f.classList.toggle("shown", f.getAttribute("data-kind") === kind.value);
    });
  }
  model.addEventListener("change", update);
  kind.addEventListener("change", update);
  update();
})();

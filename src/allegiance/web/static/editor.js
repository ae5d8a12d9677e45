// The scenario editor: as the analyst types, the fields are checked on the server by the CLI's
// validator; every problem is shown on its cell (red, with the message) and listed at the top.
// Saving is held back while there are errors.
"use strict";
(function () {
  var form = document.getElementById("editor-form");
  var yamlForm = document.getElementById("yaml-form");
  var summary = document.getElementById("problems");
  var errors = 0, timer = null, sequence = 0;

  function target(path) {
    var parts = path.split(".");
    while (parts.length) {
      var node = form.querySelector('[data-path="' + CSS.escape(parts.join(".")) + '"]');
      if (node) { return node; }
      parts.pop();
    }
    return null;
  }
  function clear() {
    form.querySelectorAll(".invalid, .warned").forEach(function (n) {
      n.classList.remove("invalid", "warned");
      n.removeAttribute("title");
    });
    form.querySelectorAll(".cell-msg").forEach(function (n) { n.textContent = ""; n.className = "cell-msg"; });
  }
  function show(problems) {
    clear();
    errors = 0;
    var list = document.createElement("ul"), warnings = 0;
    problems.forEach(function (p) {
      var node = target(p.path);
      var holder = node && (node.closest(".est") || node.closest("[data-path]") || node);
      if (p.severity === "error") { errors += 1; } else { warnings += 1; }
      if (holder && p.severity === "error") {
        holder.classList.add("invalid");
        if (node.tagName === "INPUT") { node.classList.add("invalid"); }
      } else if (holder) { holder.classList.add("warned"); }
      if (holder) {
        var before = holder.getAttribute("title");
        holder.setAttribute("title", before ? before + "\n" + p.message : p.message);
        var msg = holder.querySelector(".cell-msg");
        if (msg && p.severity === "error") {
          msg.textContent = msg.textContent ? msg.textContent + "; " + p.message : p.message;
        }
      }
      if (p.severity === "error" || warnings <= 5) {
        var item = document.createElement("li");
        item.className = p.severity;
        item.textContent = p.field + (p.line ? " (line " + p.line + ")" : "") + ": " + p.message;
        list.appendChild(item);
      }
    });
    summary.textContent = "";
    if (errors || warnings) {
      var head = document.createElement("p");
      head.textContent = errors + " error(s), " + warnings + " warning(s)" +
        (errors ? ": fix the red cells before saving." : ".");
      summary.appendChild(head);
      summary.appendChild(list);
    }
    document.getElementById("save-button").disabled = errors > 0;
  }
  function check(which, done) {
    var mine = ++sequence;
    fetch(which.getAttribute("data-check"), {method: "POST", body: new FormData(which),
      credentials: "same-origin", headers: {"X-CSRF-Token": Allegiance.csrf()}})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (mine !== sequence) { return; }
        if (which === form) { show(data.problems); } else { showYaml(data.problems); }
        if (done) { done(data.problems); }
      });
  }
  function showYaml(problems) {
    var box = document.getElementById("yaml-problems");
    box.textContent = "";
    var list = document.createElement("ul");
    problems.filter(function (p) { return p.severity === "error"; }).forEach(function (p) {
      var item = document.createElement("li");
      item.className = "error";
      item.textContent = (p.line ? "line " + p.line + ": " : "") + p.field + ": " + p.message;
      list.appendChild(item);
    });
    if (list.children.length) { box.appendChild(list); }
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { check(form); }, 250);
  });
  form.addEventListener("submit", function (event) {
    if (form.getAttribute("data-checked") === "yes") { return; }
    event.preventDefault();
    check(form, function (problems) {
      if (!problems.some(function (p) { return p.severity === "error"; })) {
        form.setAttribute("data-checked", "yes");
        form.submit();
      }
    });
  });
  yamlForm.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { check(yamlForm); }, 400);
  });
  show(Allegiance.readJSON("initial-problems") || []);
})();

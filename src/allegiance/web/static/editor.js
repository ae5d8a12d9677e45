// The scenario editor: as the analyst types, the fields are checked on the server by the CLI's
// validator; every problem is shown on its cell (red, with the message) and listed at the top.
// Saving is held back while there are errors. Rows are added from the page's <template>s (an
// added issue also adds its column to the actors grid) and removed with a "remove:" marker the
// server applies (the row stays, struck through, until saved; "Keep" takes the marker back).
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
        item.textContent = [p.field, p.line ? "(line " + p.line + ")" : ""].filter(Boolean).join(" ") + ": " + p.message;
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
      item.textContent = (p.line ? "line " + p.line + ": " : "") + (p.field ? p.field + ": " : "") + p.message;
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
  // ------------------------------------------------------------------ adding and removing rows
  var grid = document.getElementById("actor-grid");
  var counts = {actors: +form.getAttribute("data-actors"), issues: +form.getAttribute("data-issues"),
                sources: +form.getAttribute("data-sources")};
  var newKeys = {issues: 0, coalitions: 0};
  function soon() { clearTimeout(timer); timer = setTimeout(function () { check(form); }, 150); }
  function fromTemplate(id, subs, selector) {
    var html = document.getElementById(id).innerHTML;
    Object.keys(subs).forEach(function (k) { html = html.split(k).join(String(subs[k])); });
    var holder = document.createElement("template");
    holder.innerHTML = html;
    return holder.content.querySelector(selector);
  }
  function columns() {
    return Array.prototype.map.call(grid.querySelectorAll("thead th[data-issue]"), function (th) {
      return {key: th.getAttribute("data-issue"), removed: th.classList.contains("removed")};
    });
  }
  function addCell(row, actor, column) {
    var td = fromTemplate("new-cell", {__A__: actor, __I__: column.key}, "td");
    if (column.removed) { td.classList.add("removed"); }
    row.appendChild(td);
  }
  function focusFirst(row) {
    var box = row.querySelector("input:not([type=hidden])");
    if (box) { box.focus(); }
  }
  document.getElementById("add-actor").addEventListener("click", function () {
    var a = counts.actors++;
    var row = fromTemplate("new-actor", {__A__: a}, "tr");
    columns().forEach(function (column) { addCell(row, a, column); });
    grid.querySelector("tbody").appendChild(row);
    focusFirst(row);
    soon();
  });
  document.getElementById("add-issue").addEventListener("click", function () {
    var k = counts.issues++, key = "@i" + newKeys.issues++;
    var row = fromTemplate("new-issue", {__K__: k, __I__: key}, "tr");
    document.querySelector("#issue-table tbody").appendChild(row);
    var head = fromTemplate("new-issue-head", {__I__: key}, "th");
    grid.querySelector("thead tr").appendChild(head);
    grid.querySelectorAll("tbody tr[data-path]").forEach(function (actorRow) {
      var a = actorRow.getAttribute("data-path").split(".")[1];
      addCell(actorRow, a, {key: key, removed: false});
    });
    row.addEventListener("input", function () {  // the column is titled as the issue is named
      var name = row.querySelector('[name="f:issues.' + k + '.name"]').value;
      var id = row.querySelector('[name="f:issues.' + k + '.id"]').value;
      head.querySelector(".issue-title").textContent = name || id || "new issue";
    });
    focusFirst(row);
    soon();
  });
  document.getElementById("add-source").addEventListener("click", function () {
    var row = fromTemplate("new-source", {__S__: counts.sources++}, "tr");
    document.querySelector("#source-table tbody").appendChild(row);
    focusFirst(row);
    soon();
  });
  document.getElementById("add-coalition").addEventListener("click", function () {
    var row = fromTemplate("new-coalition", {__C__: "@c" + newKeys.coalitions++}, "tr");
    document.querySelector("#coalition-table tbody").appendChild(row);
    focusFirst(row);
    soon();
  });
  var removals = document.getElementById("removals");
  form.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest(".remove-row") : null;
    if (!button) { return; }
    event.preventDefault();
    var row = button.closest("tr");
    if (button.getAttribute("data-drop")) { row.remove(); soon(); return; }
    var ref = button.getAttribute("data-remove");
    var marker = removals.querySelector('[name="remove:' + CSS.escape(ref) + '"]');
    var removing = !marker;
    if (removing) {
      marker = document.createElement("input");
      marker.type = "hidden"; marker.name = "remove:" + ref; marker.value = "";
      removals.appendChild(marker);
    } else { marker.remove(); }
    var parts = [row];
    var key = ref.indexOf("issues.") === 0 ? row.getAttribute("data-issue") : null;
    if (key) {
      parts = parts.concat(Array.prototype.slice.call(
        grid.querySelectorAll('[data-issue="' + CSS.escape(key) + '"]')));
    }
    parts.forEach(function (node) { node.classList.toggle("removed", removing); });
    button.textContent = removing ? "Keep" : "Remove";
    button.classList.toggle("undo", removing);
    soon();
  });

  yamlForm.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { check(yamlForm); }, 400);
  });
  show(Allegiance.readJSON("initial-problems") || []);
})();

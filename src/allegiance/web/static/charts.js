// Charts of a result (Plotly, served from the installed plotly package): each chart has its
// controls (issue, round or date sliders) and exports PNG, SVG and its data as CSV.
"use strict";
(function () {
  var CONFIG = {displaylogo: false, responsive: true};

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function csvCell(v) {
    var s = v === null || v === undefined ? "" : String(v);
    return /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }
  function download(name, text) {
    var url = URL.createObjectURL(new Blob([text], {type: "text/csv"}));
    var a = el("a", {href: url, download: name});
    document.body.appendChild(a); a.click(); a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }
  function tracesCSV(traces) {
    var rows = [["series", "x", "y"]];
    traces.forEach(function (t) {
      var xs = t.x || [], ys = t.y || [];
      for (var i = 0; i < Math.max(xs.length, ys.length); i++) {
        rows.push([t.name || "", xs[i], ys[i]]);
      }
    });
    return rows.map(function (r) { return r.map(csvCell).join(","); }).join("\n") + "\n";
  }
  // A chart box: title, controls, the plot, export buttons. draw() returns {data, layout}.
  function chart(parent, id, title) {
    var box = el("section", {"class": "chart", id: id});
    box.appendChild(el("h3", {}, title));
    var controls = el("div", {"class": "controls"});
    var plot = el("div", {"class": "plot", id: id + "-plot"});
    var exports = el("div", {"class": "exports"});
    box.appendChild(controls); box.appendChild(plot); box.appendChild(exports);
    parent.appendChild(box);
    var current = {data: []};
    ["png", "svg"].forEach(function (format) {
      var b = el("button", {type: "button", "data-export": format}, format.toUpperCase());
      b.addEventListener("click", function () {
        Plotly.downloadImage(plot, {format: format, filename: id, width: 1100, height: 520});
      });
      exports.appendChild(b);
    });
    var c = el("button", {type: "button", "data-export": "csv"}, "CSV");
    c.addEventListener("click", function () {
      download(id + ".csv", current.csv ? current.csv() : tracesCSV(current.data));
    });
    exports.appendChild(c);
    return {
      box: box, controls: controls,
      draw: function (figure) {
        current = figure;
        var layout = Object.assign({margin: {l: 60, r: 20, t: 20, b: 50}, height: 400,
          legend: {orientation: "v"}, hovermode: "closest"}, figure.layout || {});
        Plotly.react(plot, figure.data, layout, CONFIG);
      }
    };
  }
  function select(parent, label, options, onChange) {
    var wrap = el("label", {}, label + " ");
    var s = el("select", {});
    options.forEach(function (o) { s.appendChild(el("option", {value: o[0]}, o[1])); });
    s.addEventListener("change", function () { onChange(s.value); });
    wrap.appendChild(s); parent.appendChild(wrap);
    return s;
  }
  function slider(parent, label, max, value, onChange, describe) {
    var wrap = el("label", {}, label + " ");
    var s = el("input", {type: "range", min: 0, max: max, step: 1, value: value});
    var out = el("output", {}, describe(value));
    s.addEventListener("input", function () { out.textContent = describe(+s.value); onChange(+s.value); });
    wrap.appendChild(s); wrap.appendChild(out); parent.appendChild(wrap);
    return s;
  }
  function hline(y, text, dash, where) {
    return {type: "line", xref: "paper", x0: 0, x1: 1, y0: y, y1: y,
            line: {dash: dash || "dash", width: 1.5, color: "#555"},
            label: {text: text, textposition: where || "top left"}};
  }
  function vline(x, text) {
    return {type: "line", yref: "paper", y0: 0, y1: 1, x0: x, x1: x,
            line: {width: 1, color: "#b3261e"}, label: {text: text || ""}};
  }
  function table(parent, head, rows) {
    var t = el("table", {"class": "list"}), tr = el("tr");
    head.forEach(function (h) { tr.appendChild(el("th", {}, h)); });
    var thead = el("thead"); thead.appendChild(tr); t.appendChild(thead);
    var body = el("tbody");
    rows.forEach(function (r) {
      var row = el("tr");
      r.forEach(function (c) { row.appendChild(el("td", {}, c)); });
      body.appendChild(row);
    });
    t.appendChild(body); parent.appendChild(t);
    return t;
  }
  function fmt(x, d) { return typeof x === "number" ? x.toFixed(d === undefined ? 1 : d) : (x === null ? "—" : String(x)); }

  // ------------------------------------------------------------------ forecast
  function forecastCharts(root, result, reference) {
    var issues = result.issues, rounds = result.rounds, actors = result.actors;
    var names = {}; actors.forEach(function (a) { names[a.id] = a.name; });
    var state = {issue: issues[0].id, round: rounds.length - 1};
    var lines = chart(root, "positions-by-round", "Positions by round");
    var strip = chart(root, "positions-at-round", "Positions at the chosen round");
    select(lines.controls, "Issue", issues.map(function (i) { return [i.id, i.name]; }),
      function (v) { state.issue = v; draw(); });
    slider(lines.controls, "Round", rounds.length - 1, state.round, function (v) { state.round = v; draw(); },
      function (v) { return "round " + v + " of " + (rounds.length - 1); });
    function draw() {
      var issue = issues.filter(function (i) { return i.id === state.issue; })[0];
      var data = actors.filter(function (a) { return rounds[0].positions[a.id] && rounds[0].positions[a.id][issue.id] !== undefined; })
        .map(function (a) {
          return {type: "scatter", mode: "lines+markers", name: a.name,
                  x: rounds.map(function (r) { return r.round; }),
                  y: rounds.map(function (r) { return r.positions[a.id][issue.id]; })};
        });
      var shapes = [vline(rounds[state.round].round, "round " + rounds[state.round].round)];
      if (reference && reference[issue.id] !== undefined) { shapes.push(hline(reference[issue.id], "compromise " + fmt(reference[issue.id]))); }
      shapes.push(hline(result.outcome[issue.id], result.model.name + " forecast " + fmt(result.outcome[issue.id]), "dot", "bottom right"));
      lines.draw({data: data, layout: {shapes: shapes, xaxis: {title: {text: "round"}},
        yaxis: {title: {text: issue.low_label + " ← → " + issue.high_label}, range: issue.scale}}});
      var at = rounds[state.round].positions, ids = Object.keys(at).filter(function (id) { return at[id][issue.id] !== undefined; });
      ids.sort(function (p, q) { return at[p][issue.id] - at[q][issue.id]; });
      var dots = [{type: "scatter", mode: "markers", name: "round " + rounds[state.round].round, marker: {size: 11},
        x: ids.map(function (id) { return at[id][issue.id]; }), y: ids.map(function (id) { return names[id]; })}];
      var xshapes = [];
      if (reference && reference[issue.id] !== undefined) { xshapes.push(vline(reference[issue.id], "compromise")); }
      strip.draw({data: dots, layout: {shapes: xshapes, xaxis: {range: issue.scale, title: {text: issue.name}},
        margin: {l: 190, r: 20, t: 20, b: 50}}});
    }
    draw();
  }

  // ------------------------------------------------------------------ coalitions and power
  function coalitionCharts(root, result) {
    var names = Object.keys(result.coalitions || {}), states = result.states || [];
    var verdicts = chart(root, "coalition-verdicts", "Coalition verdicts by date");
    var data = names.map(function (n) {
      var rows = result.coalitions[n];
      return {type: "bar", name: n, x: rows.map(function (r) { return r.state; }),
              y: rows.map(function (r) { return r.share; }),
              text: rows.map(function (r) { return r.winning ? "winning" : "not winning"; }), textposition: "outside"};
    });
    var quota = result.rule && result.rule.fraction;
    verdicts.draw({data: data, layout: {barmode: "group", yaxis: {title: {text: "share of the weight"}, range: [0, 1.05]},
      shapes: quota ? [hline(quota, "quota " + result.rule.description)] : []}});
    var rows = [];
    names.forEach(function (n) {
      result.coalitions[n].forEach(function (r) {
        rows.push([n, r.state, r.winning ? "winning" : "not winning", fmt(100 * r.share) + "%",
                   (r.pivotal || []).join(", ") || "—", (r.stay_out || []).join(", ") || "—",
                   (r.opponents || []).slice(0, 3).map(function (o) { return o.actor; }).join(", ")]);
      });
    });
    table(verdicts.box, ["coalition", "date", "verdict", "share", "pivotal members", "would rather stay out", "strongest opponents"], rows)
      .setAttribute("id", "verdict-table");
    if (result.power && Object.keys(result.power).length) {
      var power = chart(root, "power-indices", "Power indices");
      var dates = Object.keys(result.power), st = {date: dates[dates.length - 1]};
      var issuesOf = function (d) { return Object.keys(result.power[d]); };
      st.issue = issuesOf(st.date)[0];
      select(power.controls, "Date", dates.map(function (d) { return [d, d]; }), function (v) { st.date = v; drawPower(); })
        .value = st.date;
      select(power.controls, "Issue", issuesOf(st.date).map(function (i) { return [i, i]; }), function (v) { st.issue = v; drawPower(); });
      var drawPower = function () {
        var values = result.power[st.date][st.issue], ids = Object.keys(values);
        ids.sort(function (p, q) { return values[q] - values[p]; });
        power.draw({data: [{type: "bar", name: st.issue + " " + st.date, x: ids, y: ids.map(function (i) { return values[i]; })}],
          layout: {yaxis: {title: {text: "Shapley–Shubik index"}}}});
      };
      drawPower();
    }
  }

  // ------------------------------------------------------------------ Monte Carlo
  function montecarloCharts(root, result) {
    var ids = Object.keys(result.issues), st = {issue: ids[0]};
    var fan = chart(root, "outcome-intervals", "Outcome distributions: 50% and 90% intervals");
    fan.draw({data: [
      {type: "scatter", mode: "markers", name: "median", x: ids.map(function (i) { return result.issues[i].quantiles["0.5"]; }),
       y: ids.map(function (i) { return result.issues[i].name; }), marker: {size: 10},
       error_x: {type: "data", symmetric: false,
         array: ids.map(function (i) { return result.issues[i].quantiles["0.95"] - result.issues[i].quantiles["0.5"]; }),
         arrayminus: ids.map(function (i) { return result.issues[i].quantiles["0.5"] - result.issues[i].quantiles["0.05"]; })}},
      {type: "scatter", mode: "markers", name: "baseline forecast", marker: {symbol: "diamond", size: 9},
       x: ids.map(function (i) { return result.issues[i].baseline; }), y: ids.map(function (i) { return result.issues[i].name; })}],
      layout: {margin: {l: 260, r: 20, t: 20, b: 50}, xaxis: {title: {text: "outcome (90% interval)"}}}});
    var hist = chart(root, "outcome-histogram", "Outcome histogram");
    select(hist.controls, "Issue", ids.map(function (i) { return [i, result.issues[i].name]; }), function (v) { st.issue = v; drawHist(); });
    function drawHist() {
      var item = result.issues[st.issue], e = item.histogram.edges, q = item.quantiles;
      var mids = item.histogram.counts.map(function (_, k) { return (e[k] + e[k + 1]) / 2; });
      hist.draw({data: [{type: "bar", name: "draws", x: mids, y: item.histogram.counts}],
        layout: {bargap: 0.02, xaxis: {range: item.scale, title: {text: item.name}}, yaxis: {title: {text: "draws"}},
          shapes: [vline(q["0.05"], "5%"), vline(q["0.5"], "median"), vline(q["0.95"], "95%")]}});
    }
    drawHist();
  }

  // ------------------------------------------------------------------ sensitivity
  function sensitivityCharts(root, result) {
    var ids = Object.keys(result.issues), st = {issue: ids[0]};
    var tornado = chart(root, "tornado", "Sensitivity: which judgements move the forecast");
    select(tornado.controls, "Issue", ids.map(function (i) { return [i, i]; }), function (v) { st.issue = v; draw(); });
    function draw() {
      var rows = result.issues[st.issue].slice().reverse(), base = result.baseline[st.issue];
      tornado.draw({data: [
        {type: "bar", orientation: "h", name: "at the low end", y: rows.map(function (r) { return r.parameter; }),
         x: rows.map(function (r) { return r.outcome_at_low - base; }), base: base},
        {type: "bar", orientation: "h", name: "at the high end", y: rows.map(function (r) { return r.parameter; }),
         x: rows.map(function (r) { return r.outcome_at_high - base; }), base: base}],
        layout: {barmode: "overlay", margin: {l: 260, r: 20, t: 20, b: 50},
                 xaxis: {title: {text: "forecast (baseline " + fmt(base) + ")"}}, shapes: [vline(base, "baseline")]},
        csv: function () { return tracesCSV([{name: "low", x: rows.map(function (r) { return r.parameter; }), y: rows.map(function (r) { return r.outcome_at_low; })},
                                              {name: "high", x: rows.map(function (r) { return r.parameter; }), y: rows.map(function (r) { return r.outcome_at_high; })}]); }});
    }
    draw();
  }

  // ------------------------------------------------------------------ timeline
  function timelineCharts(root, result) {
    var dates = result.dates.map(function (d) { return d.date; }), ids = Object.keys(result.dates[0].outcome);
    var line = chart(root, "timeline", "The forecast at each dated state");
    var why = el("div", {"class": "why"});
    var st = {at: dates.length - 1};
    slider(line.controls, "As of", dates.length - 1, st.at, function (v) { st.at = v; draw(); }, function (v) { return dates[v]; });
    line.box.appendChild(why);
    function draw() {
      line.draw({data: ids.map(function (i) {
        return {type: "scatter", mode: "lines+markers", name: i, x: dates, y: result.dates.map(function (d) { return d.outcome[i]; })};
      }), layout: {shapes: [vline(dates[st.at], "as of " + dates[st.at])], xaxis: {type: "category"}}});
      why.textContent = "";
      var move = (result.moves || []).filter(function (m) { return m.to === dates[st.at]; })[0];
      if (!move) { why.appendChild(el("p", {}, "The first dated state: nothing moved yet.")); return; }
      why.appendChild(el("p", {}, "Why it moved from " + move.from + " to " + move.to + ":"));
      table(why, ["estimate", "from", "to"].concat(ids.map(function (i) { return "effect on " + i; })),
        move.drivers.map(function (d) { return [d.parameter, fmt(d.from, 2), fmt(d.to, 2)].concat(ids.map(function (i) { return fmt(d.effect[i], 2); })); }));
    }
    draw();
  }

  // ------------------------------------------------------------------ power indices
  function powerCharts(root, result) {
    var ids = Object.keys(result.by_issue || {}), st = {issue: ids[0]};
    if (!ids.length) { return; }
    var box = chart(root, "power-indices", "Power indices");
    select(box.controls, "Issue", ids.map(function (i) { return [i, i]; }), function (v) { st.issue = v; draw(); });
    function draw() {
      var item = result.by_issue[st.issue], actors = Object.keys(item.shapley_shubik);
      actors.sort(function (p, q) { return item.shapley_shubik[q] - item.shapley_shubik[p]; });
      box.draw({data: [
        {type: "bar", name: "Shapley–Shubik", x: actors, y: actors.map(function (a) { return item.shapley_shubik[a]; })},
        {type: "bar", name: "Banzhaf", x: actors, y: actors.map(function (a) { return item.banzhaf[a]; })}],
        layout: {barmode: "group", yaxis: {title: {text: "index (quota " + item.quota + " of " + item.total_weight + ")"}}}});
    }
    draw();
  }

  // ------------------------------------------------------------------ backtest (table)
  function backtestCharts(root, result) {
    var rows = result.summaries || [];
    if (!rows.length) { return; }
    var keys = Object.keys(rows[0]).slice(0, 8);
    var box = chart(root, "backtest", "Backtest scores");
    var num = keys.filter(function (k) { return typeof rows[0][k] === "number"; })[0];
    box.draw({data: [{type: "bar", name: num, x: rows.map(function (r) { return keys.slice(0, 2).map(function (k) { return r[k]; }).join(" "); }), y: rows.map(function (r) { return r[num]; })}], layout: {}});
    table(box.box, keys, rows.map(function (r) { return keys.map(function (k) { return fmt(r[k], 3); }); }));
  }

  // ------------------------------------------------------------------ compare
  // Two runs (two versions or two variants): the per-issue numbers, both trajectories (A solid,
  // B dashed, one colour per actor) and B − A along them; the rows come from the server.
  var COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                 "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39"];
  function compareCharts(root, payload) {
    var t = payload.table, ta = "A #" + payload.ida, tb = "B #" + payload.idb;
    var box = chart(root, "compare-outcomes", "Run #" + payload.ida + " and run #" + payload.idb + ", and the difference");
    box.draw({data: [
      {type: "bar", name: ta, x: t.map(function (r) { return r.what; }), y: t.map(function (r) { return r.a; })},
      {type: "bar", name: tb, x: t.map(function (r) { return r.what; }), y: t.map(function (r) { return r.b; })},
      {type: "bar", name: "B − A", x: t.map(function (r) { return r.what; }), y: t.map(function (r) { return r.difference; })}],
      layout: {barmode: "group"},
      csv: function () {
        return [["what", "a", "b", "difference"]].concat(t.map(function (r) { return [r.what, r.a, r.b, r.difference]; }))
          .map(function (r) { return r.map(csvCell).join(","); }).join("\n") + "\n";
      }});
    var paths = payload.paths || [];
    if (!paths.length) { return; }
    var issues = [], seen = {};
    paths.forEach(function (r) { if (!seen[r.issue]) { seen[r.issue] = true; issues.push(r.issue); } });
    var names = payload.issue_names || {}, st = {issue: issues[0]};
    var step = payload.kind_a === "forecast" ? "round" : "date";
    var both = chart(root, "compare-trajectories", (step === "round" ? "Positions by round" : "The forecast by date") + ": A solid, B dashed");
    var diff = chart(root, "compare-difference", "The difference B − A by " + step);
    select(both.controls, "Issue", issues.map(function (i) { return [i, names[i] || i]; }), function (v) { st.issue = v; draw(); });
    function series(rows, key) {
      var groups = {}, order = [];
      rows.forEach(function (r) {
        if (!groups[r.actor]) { groups[r.actor] = {x: [], y: []}; order.push(r.actor); }
        groups[r.actor].x.push(r.step); groups[r.actor].y.push(r[key]);
      });
      return order.map(function (name) { return {name: name, x: groups[name].x, y: groups[name].y}; });
    }
    function draw() {
      var rows = paths.filter(function (r) { return r.issue === st.issue; });
      var lines = [], gaps = [];
      series(rows, "a").forEach(function (s, k) {
        lines.push({type: "scatter", mode: "lines+markers", name: s.name + " (A)", legendgroup: s.name,
                    x: s.x, y: s.y, line: {color: COLOURS[k % COLOURS.length]}});
      });
      series(rows, "b").forEach(function (s, k) {
        lines.push({type: "scatter", mode: "lines+markers", name: s.name + " (B)", legendgroup: s.name,
                    x: s.x, y: s.y, line: {color: COLOURS[k % COLOURS.length], dash: "dash"}, marker: {symbol: "x"}});
      });
      series(rows, "difference").forEach(function (s, k) {
        gaps.push({type: "scatter", mode: "lines+markers", name: s.name, x: s.x, y: s.y,
                   line: {color: COLOURS[k % COLOURS.length]}});
      });
      var xaxis = {title: {text: step}, type: step === "date" ? "category" : "linear"};
      both.draw({data: lines, layout: {xaxis: xaxis, yaxis: {title: {text: names[st.issue] || st.issue}}}});
      diff.draw({data: gaps, layout: {xaxis: xaxis, yaxis: {title: {text: "B − A"}, zeroline: true},
                 shapes: [hline(0, "no difference", "dot")]}});
    }
    draw();
  }

  var DRAW = {forecast: forecastCharts, coalitions: coalitionCharts, montecarlo: montecarloCharts,
              sensitivity: sensitivityCharts, timeline: timelineCharts, backtest: backtestCharts,
              power: powerCharts};
  var root = document.getElementById("charts");
  if (root && DRAW[root.getAttribute("data-kind")]) {
    DRAW[root.getAttribute("data-kind")](root, Allegiance.readJSON("run-data"), Allegiance.readJSON("reference-data"));
  }
  var companion = document.getElementById("companion-charts");
  if (companion) { coalitionCharts(companion, Allegiance.readJSON("companion-data")); }
  var compare = document.getElementById("compare-charts");
  if (compare) { compareCharts(compare, Allegiance.readJSON("compare-data")); }
})();

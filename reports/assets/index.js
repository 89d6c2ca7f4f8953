/* The index: rows from the JSON island, filtered (agent, team, category, result, free text), sorted by any
   column, totalled over every matching conversation, and shown one page at a time. All text is set with
   textContent: ids and names come from transcripts. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("index-data").textContent);
  var meta = data.meta;
  var PAGE = meta.page_size;
  // Row arrays (see html_scorecard.IndexRows): id, href, score, verdict, agent, team, channel, date, date_sort,
  // findings, per-section counts (-1: section not applicable), categories, auto-fail reasons.
  var rows = data.rows.map(function (r) {
    return { id: r[0], href: r[1], score: r[2], verdict: r[3], agent: r[4], team: r[5], channel: r[6], date: r[7],
             dateSort: r[8], findings: r[9], sections: r[10], categories: r[11], reasons: r[12] };
  });
  var table = document.getElementById("conversations");
  var body = table.tBodies[0];
  var controls = {
    agent: document.getElementById("f-agent"),
    team: document.getElementById("f-team"),
    category: document.getElementById("f-category"),
    verdict: document.getElementById("f-verdict"),
    text: document.getElementById("f-text")
  };
  var sort = { key: "date", descending: true };
  var page = 0;
  var shown = rows;
  var collator = new Intl.Collator("zh-CN", { numeric: true });

  function setText(id, text) { document.getElementById(id).textContent = text; }
  function verdictLabel(r) { return meta.verdicts[r.verdict] || r.verdict; }
  function channelLabel(r) { return meta.channels[r.channel] || r.channel; }
  function searchable(r) {
    if (r._text === undefined) {
      r._text = [r.id, r.agent, r.team, channelLabel(r), verdictLabel(r), r.date].join("\n").toLowerCase();
    }
    return r._text;
  }

  function matches(r) {
    var agent = controls.agent.value, team = controls.team.value, category = controls.category.value;
    var verdict = controls.verdict.value, text = controls.text.value.trim().toLowerCase();
    if (agent && r.agent !== agent) { return false; }
    if (team && r.team !== team) { return false; }
    if (verdict && r.verdict !== verdict) { return false; }
    if (category && r.categories.indexOf(category) < 0) { return false; }
    if (text && searchable(r).indexOf(text) < 0) { return false; }
    return true;
  }

  function value(r, key) {
    if (key.indexOf("sec-") === 0) { return r.sections[parseInt(key.slice(4), 10)]; }
    switch (key) {
      case "id": return r.id;
      case "score": return r.score === null ? -1 : r.score;
      case "verdict": return r.verdict;
      case "agent": return r.agent;
      case "team": return r.team;
      case "channel": return r.channel;
      case "date": return r.dateSort;
      default: return r.findings;
    }
  }

  function sorted(list) {
    var th = table.querySelector("th[data-key='" + sort.key + "']");
    var numeric = th && th.getAttribute("data-sort") === "num";
    return list.slice().sort(function (a, b) {
      var x = value(a, sort.key), y = value(b, sort.key);
      var c = numeric ? (x < y ? -1 : x > y ? 1 : 0) : collator.compare(String(x), String(y));
      return sort.descending ? -c : c;
    });
  }

  function cell(row, text, className, v) {
    var td = document.createElement("td");
    if (className) { td.className = className; }
    if (v !== undefined) { td.setAttribute("data-v", String(v)); }
    if (text !== null) { td.textContent = text; }
    row.appendChild(td);
    return td;
  }

  function render(r) {
    var tr = document.createElement("tr");
    tr.setAttribute("data-agent", r.agent);
    tr.setAttribute("data-team", r.team);
    tr.setAttribute("data-verdict", r.verdict);
    tr.setAttribute("data-categories", r.categories.join(" "));
    tr.setAttribute("data-score", r.score === null ? "" : String(r.score));
    tr.setAttribute("data-findings", String(r.findings));
    var link = document.createElement("a");
    link.className = "mono conv-link";
    link.setAttribute("href", r.href);
    link.textContent = r.id;
    cell(tr, null, null, r.id).appendChild(link);
    cell(tr, r.score === null ? "—" : String(r.score), "num score", r.score === null ? -1 : r.score);
    var badge = document.createElement("span");
    badge.className = "badge " + r.verdict;
    badge.textContent = verdictLabel(r);
    if (r.reasons.length) { badge.title = r.reasons.join("；"); }
    cell(tr, null, null, r.verdict).appendChild(badge);
    cell(tr, r.agent, null, r.agent);
    cell(tr, r.team, null, r.team);
    cell(tr, channelLabel(r), null, r.channel);
    cell(tr, r.date, "nowrap", r.dateSort);
    r.sections.forEach(function (count) {
      var td = cell(tr, null, "num sec" + (count > 0 ? " hit" : ""), Math.max(count, 0));
      if (count < 0) {
        var dash = document.createElement("span");
        dash.className = "faint";
        dash.title = "不适用";
        dash.textContent = "—";
        td.appendChild(dash);
      } else if (count > 0) {
        td.textContent = String(count);
      }
    });
    cell(tr, String(r.findings), "num strong", r.findings);
    return tr;
  }

  function showPage() {
    var pages = Math.max(1, Math.ceil(shown.length / PAGE));
    page = Math.min(page, pages - 1);
    var slice = shown.slice(page * PAGE, (page + 1) * PAGE);
    var fragment = document.createDocumentFragment();
    slice.forEach(function (r) { fragment.appendChild(render(r)); });
    body.textContent = "";
    body.appendChild(fragment);
    var pager = document.getElementById("pager");
    pager.hidden = shown.length <= PAGE;
    setText("p-info", "第 " + (shown.length ? page * PAGE + 1 : 0) + "–" + (page * PAGE + slice.length) + " 个，共 " + shown.length + " 个");
    document.getElementById("p-prev").disabled = page === 0;
    document.getElementById("p-next").disabled = page >= pages - 1;
  }

  function totals() {
    var scores = 0, scored = 0, passed = 0, judged = 0, autofail = 0, findings = 0, sectionTotals = [];
    shown.forEach(function (r) {
      if (r.score !== null) { scores += r.score; scored += 1; }
      if (r.verdict !== "na") { judged += 1; }
      if (r.verdict === "pass") { passed += 1; }
      if (r.verdict === "autofail") { autofail += 1; }
      findings += r.findings;
      r.sections.forEach(function (count, i) { sectionTotals[i] = (sectionTotals[i] || 0) + Math.max(count, 0); });
    });
    setText("t-conversations", String(shown.length));
    setText("t-shown", shown.length === rows.length ? "全部" : "筛选后（共 " + rows.length + " 个）");
    setText("t-passed", String(passed));
    setText("t-pass-rate", judged ? (100 * passed / judged).toFixed(1) + "%" : "—");
    setText("t-average", scored ? String(Math.round(scores / scored * 10) / 10) : "—");
    setText("t-autofail", String(autofail));
    setText("t-findings", String(findings));
    table.tFoot.querySelectorAll("td[data-total]").forEach(function (td) {
      var key = td.getAttribute("data-total");
      td.textContent = key === "all" ? String(findings) : String(sectionTotals[parseInt(key, 10)] || 0);
    });
    document.getElementById("empty").hidden = shown.length > 0;
  }

  function update() {
    shown = sorted(rows.filter(matches));
    page = 0;
    totals();
    showPage();
  }

  function sortBy(th) {
    var key = th.getAttribute("data-key");
    var numeric = th.getAttribute("data-sort") === "num";
    if (sort.key === key) {
      sort.descending = !sort.descending;
    } else {
      sort.key = key;
      sort.descending = numeric;  // numbers: largest first; text: A first
    }
    table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", sort.descending ? "descending" : "ascending");
    shown = sorted(shown);
    page = 0;
    showPage();
  }

  table.querySelectorAll("thead th[data-sort]").forEach(function (th) {
    th.tabIndex = 0;
    th.addEventListener("click", function () { sortBy(th); });
    th.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(th); }
    });
  });
  Object.keys(controls).forEach(function (key) {
    controls[key].addEventListener(key === "text" ? "input" : "change", update);
  });
  document.getElementById("f-reset").addEventListener("click", function () {
    Object.keys(controls).forEach(function (key) { controls[key].value = ""; });
    update();
  });
  document.getElementById("p-prev").addEventListener("click", function () { page -= 1; showPage(); });
  document.getElementById("p-next").addEventListener("click", function () { page += 1; showPage(); });
  update();
})();

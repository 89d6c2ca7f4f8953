/* Index filters (agent, team, category, result, free text) and the totals of the rows shown. */
(function () {
  "use strict";
  var table = document.getElementById("conversations");
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var controls = {
    agent: document.getElementById("f-agent"),
    team: document.getElementById("f-team"),
    category: document.getElementById("f-category"),
    verdict: document.getElementById("f-verdict"),
    text: document.getElementById("f-text")
  };
  function setText(id, text) { document.getElementById(id).textContent = text; }

  function matches(row) {
    var agent = controls.agent.value, team = controls.team.value, category = controls.category.value;
    var verdict = controls.verdict.value, text = controls.text.value.trim().toLowerCase();
    if (agent && row.getAttribute("data-agent") !== agent) { return false; }
    if (team && row.getAttribute("data-team") !== team) { return false; }
    if (verdict && row.getAttribute("data-verdict") !== verdict) { return false; }
    if (category && (" " + row.getAttribute("data-categories") + " ").indexOf(" " + category + " ") < 0) { return false; }
    if (text && row.textContent.toLowerCase().indexOf(text) < 0) { return false; }
    return true;
  }

  function update() {
    var shown = rows.filter(function (row) {
      var ok = matches(row);
      row.hidden = !ok;
      return ok;
    });
    var scores = [], passed = 0, judged = 0, autofail = 0, findings = 0;
    var sectionCells = table.tFoot.querySelectorAll("td[data-total]");
    var sectionTotals = [];
    shown.forEach(function (row) {
      var score = row.getAttribute("data-score");
      if (score !== "") { scores.push(parseFloat(score)); }
      var verdict = row.getAttribute("data-verdict");
      if (verdict !== "na") { judged += 1; }
      if (verdict === "pass") { passed += 1; }
      if (verdict === "autofail") { autofail += 1; }
      findings += parseInt(row.getAttribute("data-findings"), 10) || 0;
      row.querySelectorAll("td.sec").forEach(function (cell, i) {
        sectionTotals[i] = (sectionTotals[i] || 0) + (parseInt(cell.getAttribute("data-v"), 10) || 0);
      });
    });
    setText("t-conversations", String(shown.length));
    setText("t-shown", shown.length === rows.length ? "全部" : "筛选后（共 " + rows.length + " 个）");
    setText("t-passed", String(passed));
    setText("t-pass-rate", judged ? (100 * passed / judged).toFixed(1) + "%" : "—");
    var average = scores.length ? scores.reduce(function (a, b) { return a + b; }, 0) / scores.length : null;
    setText("t-average", average === null ? "—" : String(Math.round(average * 10) / 10));
    setText("t-autofail", String(autofail));
    setText("t-findings", String(findings));
    sectionCells.forEach(function (cell) {
      var key = cell.getAttribute("data-total");
      cell.textContent = key === "all" ? String(findings) : String(sectionTotals[parseInt(key, 10)] || 0);
    });
    document.getElementById("empty").hidden = shown.length > 0;
  }

  Object.keys(controls).forEach(function (key) {
    controls[key].addEventListener(key === "text" ? "input" : "change", update);
  });
  document.getElementById("f-reset").addEventListener("click", function () {
    Object.keys(controls).forEach(function (key) { controls[key].value = ""; });
    update();
  });
  update();
})();

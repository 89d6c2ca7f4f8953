/* Sortable tables: click (or Enter on) a header with data-sort="num|text"; cells sort by data-v. */
(function () {
  "use strict";
  function value(row, index, numeric) {
    var cell = row.cells[index];
    var raw = cell ? (cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : cell.textContent) : "";
    if (!numeric) { return raw; }
    var n = parseFloat(raw);
    return isNaN(n) ? -Infinity : n;
  }
  function sortBy(table, th) {
    var headers = Array.prototype.slice.call(th.parentNode.children);
    var index = headers.indexOf(th);
    var numeric = th.getAttribute("data-sort") === "num";
    var descending = th.getAttribute("aria-sort") !== "descending";
    if (th.getAttribute("aria-sort") === null && numeric) { descending = true; }
    if (th.getAttribute("aria-sort") === null && !numeric) { descending = false; }
    headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", descending ? "descending" : "ascending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var collator = new Intl.Collator("zh-CN", { numeric: true });
    rows.sort(function (a, b) {
      var x = value(a, index, numeric), y = value(b, index, numeric);
      var c = numeric ? (x < y ? -1 : x > y ? 1 : 0) : collator.compare(x, y);
      return descending ? -c : c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  document.querySelectorAll("table").forEach(function (table) {
    table.querySelectorAll("thead th[data-sort]").forEach(function (th) {
      th.tabIndex = 0;
      th.addEventListener("click", function () { sortBy(table, th); });
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(table, th); }
      });
    });
  });
})();

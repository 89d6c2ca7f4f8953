/* A search box that hides the rows of the flipped-conversations table not containing what is typed. */
(function () {
  "use strict";
  var input = document.getElementById("flip-filter");
  var table = document.getElementById("flips");
  if (!input || !table) { return; }
  input.addEventListener("input", function () {
    var wanted = input.value.trim().toLowerCase();
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      row.hidden = wanted !== "" && row.textContent.toLowerCase().indexOf(wanted) < 0;
    });
  });
})();

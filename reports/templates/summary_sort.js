/* summary.html: sort a table by a clicked column header. Our own constant code, allowed by its CSP
   hash; it reads only data-sort attributes and moves existing rows, never inserting markup. */
(function () {
  "use strict";
  function value(row, col, numeric) {
    var cell = row.cells[col];
    var raw = cell ? cell.getAttribute("data-sort") : null;
    if (raw === null) { raw = cell ? cell.textContent : ""; }
    raw = raw.trim();
    if (!numeric) { return raw.toLowerCase(); }
    var n = parseFloat(raw);
    return isNaN(n) ? null : n;
  }
  function sortBy(table, th, col) {
    var numeric = th.getAttribute("data-type") === "num";
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var keyed = rows.map(function (row, index) { return { row: row, index: index, key: value(row, col, numeric) }; });
    keyed.sort(function (a, b) {
      if (a.key === null || b.key === null) {
        if (a.key === b.key) { return a.index - b.index; }
        return a.key === null ? 1 : -1;
      }
      var d = numeric ? a.key - b.key : a.key.localeCompare(b.key, "ru");
      if (!ascending) { d = -d; }
      return d || a.index - b.index;
    });
    keyed.forEach(function (k) { body.appendChild(k.row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) {
      if (other.hasAttribute("aria-sort")) { other.setAttribute("aria-sort", "none"); }
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      var button = th.querySelector("button.sort");
      if (button) { button.addEventListener("click", function () { sortBy(table, th, col); }); }
    });
  });
}());

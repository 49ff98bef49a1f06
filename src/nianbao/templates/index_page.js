/* Sorting and filtering of the report table. The page is complete without it. */
(function () {
  "use strict";
  var table = document.getElementById("reports");
  if (!table || !table.tBodies.length) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.filter.call(body.rows, function (r) { return r.hasAttribute("data-index"); });
  var emptyRow = document.getElementById("empty-row");
  var agencyBox = document.getElementById("f-agency");
  var categoryBox = document.getElementById("f-category");
  var severityBox = document.getElementById("f-severity");
  var shown = document.getElementById("f-shown");
  var reset = document.getElementById("f-reset");
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var collator = (window.Intl && Intl.Collator) ? new Intl.Collator("zh-Hans-CN", { numeric: true }) : null;

  function compareText(a, b) {
    if (collator) { return collator.compare(a, b); }
    return a < b ? -1 : (a > b ? 1 : 0);
  }

  function sortValue(row, column, type) {
    var cell = row.cells[column];
    if (!cell) { return type === "num" ? 0 : ""; }
    var value = cell.getAttribute("data-sort");
    if (value === null) { value = cell.textContent.replace(/\s+/g, " ").trim(); }
    if (type === "num") {
      var n = parseFloat(value);
      return isNaN(n) ? -Infinity : n;
    }
    return value;
  }

  function sortBy(key, descending) {
    var column = -1, type = "text";
    headers.forEach(function (th, i) {
      if (th.getAttribute("data-key") === key) { column = i; type = th.getAttribute("data-type") || "text"; }
    });
    if (column < 0) { return; }
    var sorted = rows.slice().sort(function (a, b) {
      var x = sortValue(a, column, type), y = sortValue(b, column, type);
      var c = type === "num" ? (x - y) : compareText(x, y);
      if (c === 0) { c = parseInt(a.getAttribute("data-index"), 10) - parseInt(b.getAttribute("data-index"), 10); return c; }
      return descending ? -c : c;
    });
    sorted.forEach(function (r) { body.insertBefore(r, emptyRow); });
    headers.forEach(function (th, i) {
      if (!th.hasAttribute("data-key")) { return; }
      if (i === column) { th.setAttribute("aria-sort", descending ? "descending" : "ascending"); }
      else { th.setAttribute("aria-sort", "none"); }
    });
    table.setAttribute("data-sorted", key + (descending ? ":desc" : ":asc"));
  }

  function applyFilters() {
    var query = agencyBox ? agencyBox.value.replace(/\s+/g, "").toLowerCase() : "";
    var category = categoryBox ? categoryBox.value : "";
    var severity = severityBox ? severityBox.value : "";
    var count = 0;
    rows.forEach(function (r) {
      var ok = true;
      if (query) {
        var hay = (r.getAttribute("data-agency") + " " + r.getAttribute("data-source")).replace(/\s+/g, "").toLowerCase();
        ok = hay.indexOf(query) >= 0;
      }
      if (ok && category) {
        ok = (" " + r.getAttribute("data-categories") + " ").indexOf(" " + category + " ") >= 0;
      }
      if (ok && severity) {
        if (severity === "failed") { ok = r.getAttribute("data-failed") === "1"; }
        else if (severity === "clean") { ok = r.getAttribute("data-total") === "0" && r.getAttribute("data-failed") !== "1"; }
        else { ok = parseInt(r.getAttribute("data-" + severity) || "0", 10) > 0; }
      }
      r.hidden = !ok;
      if (ok) { count += 1; }
    });
    if (emptyRow) { emptyRow.hidden = count > 0; }
    if (shown) { shown.textContent = "显示 " + count + " 份，共 " + rows.length + " 份"; }
    table.setAttribute("data-shown", String(count));
  }

  headers.forEach(function (th) {
    var button = th.querySelector("button.sort");
    if (!button) { return; }
    button.addEventListener("click", function () {
      var descending = th.getAttribute("aria-sort") === "ascending";
      sortBy(th.getAttribute("data-key"), descending);
    });
  });
  [agencyBox, categoryBox, severityBox].forEach(function (el) {
    if (el) { el.addEventListener("input", applyFilters); el.addEventListener("change", applyFilters); }
  });
  if (reset) {
    reset.addEventListener("click", function () {
      if (agencyBox) { agencyBox.value = ""; }
      if (categoryBox) { categoryBox.value = ""; }
      if (severityBox) { severityBox.value = ""; }
      applyFilters();
    });
  }

  // A filtered or sorted view can be shared as a link: index.html?agency=…&category=…&severity=…&sort=…&order=desc
  var params;
  try { params = new URLSearchParams(window.location.search); } catch (e) { params = null; }
  if (params) {
    if (agencyBox && params.get("agency")) { agencyBox.value = params.get("agency"); }
    if (categoryBox && params.get("category")) { categoryBox.value = params.get("category"); }
    if (severityBox && params.get("severity")) { severityBox.value = params.get("severity"); }
    if (params.get("sort")) { sortBy(params.get("sort"), params.get("order") === "desc"); }
  }
  applyFilters();
  document.documentElement.classList.add("js");
  table.setAttribute("data-ready", "1");
})();

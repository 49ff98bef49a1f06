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
  var pager = document.getElementById("pager");
  var pageSize = pager ? parseInt(pager.getAttribute("data-page-size"), 10) || 100 : rows.length;
  var prevButton = document.getElementById("p-prev");
  var nextButton = document.getElementById("p-next");
  var where = document.getElementById("p-where");
  var page = 0;
  var matching = rows;
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
    var moved = document.createDocumentFragment();
    sorted.forEach(function (r) { moved.appendChild(r); });
    body.insertBefore(moved, emptyRow);
    rows = sorted;
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
    matching = [];
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
      if (ok) { count += 1; matching.push(r); }
    });
    if (emptyRow) { emptyRow.hidden = count > 0; }
    if (shown) { shown.textContent = "显示 " + count + " 份，共 " + rows.length + " 份"; }
    table.setAttribute("data-shown", String(count));
    page = 0;
    showPage();
  }

  // Only one page of the matching rows is laid out at a time: a 10,000-report index stays quick.
  function showPage() {
    var pages = Math.max(1, Math.ceil(matching.length / pageSize));
    page = Math.min(Math.max(page, 0), pages - 1);
    var first = page * pageSize, last = first + pageSize;
    var onPage = {};
    for (var i = first; i < last && i < matching.length; i++) { onPage[matching[i].getAttribute("data-index")] = true; }
    rows.forEach(function (r) {
      var hide = !onPage[r.getAttribute("data-index")];
      if (r.hidden !== hide) { r.hidden = hide; }
    });
    if (pager) {
      pager.style.display = pages <= 1 ? "none" : "";
      where.textContent = "第 " + (page + 1) + " / " + pages + " 页（每页 " + pageSize + " 份）";
      prevButton.disabled = page === 0;
      nextButton.disabled = page >= pages - 1;
    }
    table.setAttribute("data-page", String(page + 1));
  }
  if (prevButton) { prevButton.addEventListener("click", function () { page -= 1; showPage(); }); }
  if (nextButton) { nextButton.addEventListener("click", function () { page += 1; showPage(); }); }

  headers.forEach(function (th) {
    var button = th.querySelector("button.sort");
    if (!button) { return; }
    button.addEventListener("click", function () {
      var descending = th.getAttribute("aria-sort") === "ascending";
      sortBy(th.getAttribute("data-key"), descending);
      applyFilters();
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
  if (window.performance && performance.now) { table.setAttribute("data-ready-ms", String(Math.round(performance.now()))); }
})();

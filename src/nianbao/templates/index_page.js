/* Sorting, filtering and paging of the report table. The first page is readable without it.
   Every row's sort and filter values are in #index-data's data-rows; rows past the first page wait
   as HTML strings in its data-later and become elements only when their page is shown. */
(function () {
  "use strict";
  var table = document.getElementById("reports");
  if (!table || !table.tBodies.length) { return; }
  var body = table.tBodies[0];
  var emptyRow = document.getElementById("empty-row");
  var agencyBox = document.getElementById("f-agency");
  var categoryBox = document.getElementById("f-category");
  var severityBox = document.getElementById("f-severity");
  var shown = document.getElementById("f-shown");
  var reset = document.getElementById("f-reset");
  var pager = document.getElementById("pager");
  var pageSize = pager ? parseInt(pager.getAttribute("data-page-size"), 10) || 100 : 100;
  var prevButton = document.getElementById("p-prev");
  var nextButton = document.getElementById("p-next");
  var where = document.getElementById("p-where");
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var collator = (window.Intl && Intl.Collator) ? new Intl.Collator("zh-Hans-CN", { numeric: true }) : null;

  // One record per report: [index, agency, search text, categories, error, warning, info, total, failed, year, level, template]
  var dataNode = document.getElementById("index-data");
  var index = {
    rows: JSON.parse(dataNode ? dataNode.getAttribute("data-rows") || "[]" : "[]"),
    later: JSON.parse(dataNode ? dataNode.getAttribute("data-later") || "[]" : "[]")
  };
  if (dataNode) { dataNode.removeAttribute("data-rows"); dataNode.removeAttribute("data-later"); }   // parsed: free the text
  var records = index.rows.map(function (d, i) {
    return { position: i, index: d[0], agency: d[1], hay: String(d[2]).replace(/\s+/g, "").toLowerCase(),
             categories: " " + d[3] + " ", error: d[4], warning: d[5], info: d[6], total: d[7], failed: d[8],
             year: d[9], level: d[10], template: d[11], row: null };
  });
  var built = {};
  Array.prototype.forEach.call(body.rows, function (r) {
    if (r.hasAttribute("data-index")) { built[r.getAttribute("data-index")] = r; }
  });
  var firstLater = records.length;
  records.forEach(function (rec) {
    rec.row = built[String(rec.index)] || null;
    if (!rec.row && rec.position < firstLater) { firstLater = rec.position; }
  });

  function rowOf(rec) {
    if (rec.row) { return rec.row; }
    var html = index.later[rec.position - firstLater] || "";
    var scratch = document.createElement("tbody");
    scratch.innerHTML = html;
    rec.row = scratch.rows[0] || document.createElement("tr");
    return rec.row;
  }

  var order = records.slice();          // current sort order of all records
  var matching = records.slice();       // the filtered ones, in that order
  var page = 0;

  function compareText(a, b) {
    if (collator) { return collator.compare(a, b); }
    return a < b ? -1 : (a > b ? 1 : 0);
  }

  function sortBy(key, descending) {
    var th = null;
    headers.forEach(function (h) { if (h.getAttribute("data-key") === key) { th = h; } });
    if (!th) { return; }
    var numeric = (th.getAttribute("data-type") || "text") === "num";
    order = records.slice().sort(function (a, b) {
      var x = a[key], y = b[key];
      var c = numeric ? (Number(x) || 0) - (Number(y) || 0) : compareText(String(x || ""), String(y || ""));
      if (c === 0) { return a.index - b.index; }
      return descending ? -c : c;
    });
    headers.forEach(function (h) {
      if (!h.hasAttribute("data-key")) { return; }
      h.setAttribute("aria-sort", h === th ? (descending ? "descending" : "ascending") : "none");
    });
    table.setAttribute("data-sorted", key + (descending ? ":desc" : ":asc"));
  }

  function applyFilters() {
    var query = agencyBox ? agencyBox.value.replace(/\s+/g, "").toLowerCase() : "";
    var category = categoryBox ? categoryBox.value : "";
    var severity = severityBox ? severityBox.value : "";
    matching = order.filter(function (r) {
      if (query && r.hay.indexOf(query) < 0) { return false; }
      if (category && r.categories.indexOf(" " + category + " ") < 0) { return false; }
      if (severity === "failed") { return r.failed === 1; }
      if (severity === "clean") { return r.total === 0 && r.failed !== 1; }
      if (severity) { return r[severity] > 0; }
      return true;
    });
    if (emptyRow) { emptyRow.hidden = matching.length > 0; }
    if (shown) { shown.textContent = "显示 " + matching.length + " 份，共 " + records.length + " 份"; }
    table.setAttribute("data-shown", String(matching.length));
    page = 0;
    showPage();
  }

  // Only the rows of the current page are laid out; rows built earlier stay, hidden, in sort order.
  function showPage() {
    var pages = Math.max(1, Math.ceil(matching.length / pageSize));
    page = Math.min(Math.max(page, 0), pages - 1);
    var onPage = {};
    matching.slice(page * pageSize, (page + 1) * pageSize).forEach(function (r) { onPage[r.index] = true; rowOf(r); });
    var fragment = document.createDocumentFragment();
    order.forEach(function (r) {
      if (!r.row) { return; }
      r.row.hidden = !onPage[r.index];
      fragment.appendChild(r.row);
    });
    body.insertBefore(fragment, emptyRow);
    if (pager) {
      pager.style.display = pages <= 1 ? "none" : "";
      where.textContent = "第 " + (page + 1) + " / " + pages + " 页（每页 " + pageSize + " 份）";
      prevButton.disabled = page === 0;
      nextButton.disabled = page >= pages - 1;
    }
    table.setAttribute("data-page", String(page + 1));
  }

  headers.forEach(function (th) {
    var button = th.querySelector("button.sort");
    if (!button) { return; }
    button.addEventListener("click", function () {
      sortBy(th.getAttribute("data-key"), th.getAttribute("aria-sort") === "ascending");
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
  if (prevButton) { prevButton.addEventListener("click", function () { page -= 1; showPage(); }); }
  if (nextButton) { nextButton.addEventListener("click", function () { page += 1; showPage(); }); }

  // A filtered or sorted view can be shared as a link: index.html?agency=…&category=…&severity=…&sort=…&order=desc&page=2
  var params;
  try { params = new URLSearchParams(window.location.search); } catch (e) { params = null; }
  if (params) {
    if (agencyBox && params.get("agency")) { agencyBox.value = params.get("agency"); }
    if (categoryBox && params.get("category")) { categoryBox.value = params.get("category"); }
    if (severityBox && params.get("severity")) { severityBox.value = params.get("severity"); }
    if (params.get("sort")) { sortBy(params.get("sort"), params.get("order") === "desc"); }
  }
  applyFilters();
  if (params && params.get("page")) { page = (parseInt(params.get("page"), 10) || 1) - 1; showPage(); }
  document.documentElement.classList.add("js");
  table.setAttribute("data-ready", "1");
  if (window.performance && performance.now) { table.setAttribute("data-ready-ms", String(Math.round(performance.now()))); }
})();

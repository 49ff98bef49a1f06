// Progressive enhancement only: every page works without this file.
(function () {
  // Upload: drop files onto the box.
  var drop = document.getElementById("drop"), input = document.getElementById("files");
  if (drop && input) {
    ["dragenter", "dragover"].forEach(function (e) {
      drop.addEventListener(e, function (ev) { ev.preventDefault(); drop.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (e) {
      drop.addEventListener(e, function (ev) { ev.preventDefault(); drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (ev) { input.files = ev.dataTransfer.files; });
  }
  // Upload progress: poll the job's JSON twin until it finishes, then show the full page.
  var progress = document.getElementById("progress");
  if (progress && progress.dataset.finished === "no") {
    var job = progress.dataset.job;
    var timer = setInterval(function () {
      fetch("/uploads/" + encodeURIComponent(job) + ".json", {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (body) {
          var d = body.job;
          if (d.finished) { clearInterval(timer); window.location.reload(); }
          else { progress.textContent = "正在检查：" + d.done + " / " + d.total + "……"; }
        }).catch(function () {});
    }, 1000);
  }
})();

// Live progress of a self-check (Server-Sent Events); the finished page is rendered by the server.
(function () {
  var box = document.getElementById("progress");
  if (!box) return;
  var source = new EventSource("/check/" + box.dataset.job + "/events");
  source.addEventListener("progress", function (event) {
    var p = JSON.parse(event.data);
    ["stage", "pages", "documents", "elapsed"].forEach(function (key) {
      document.getElementById(key).textContent = p[key];
    });
    document.getElementById("queue").textContent = p.queue_ahead ? " · перед вами в очереди: " + p.queue_ahead : "";
    box.querySelectorAll("[data-stage]").forEach(function (li) {
      li.className = li.dataset.stage === p.stage ? "current" : "";
    });
    box.dataset.status = p.status;
  });
  source.addEventListener("done", function () {
    source.close();
    window.location.reload();
  });
})();

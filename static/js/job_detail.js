// Live progress for a job page: polls status.json until the job is terminal, then reloads
// so the server renders the ranked candidates.
(function () {
  "use strict";
  var box = document.getElementById("job-status");
  if (!box || box.dataset.terminal === "1") return;
  var bar = document.getElementById("progress-bar");
  var text = document.getElementById("progress-text");
  var badge = document.getElementById("status-badge");

  function describe(s) {
    if (s.status === "queued") {
      return s.queue_position ? "Queued: position " + s.queue_position + " in line" : "Queued";
    }
    if (s.total) return "Rendering: step " + s.step + " of " + s.total;
    return "Starting the engine…";
  }

  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (s) {
        if (!s) { setTimeout(poll, 3000); return; }
        if (s.terminal) { window.location.reload(); return; }
        badge.textContent = s.status;
        badge.className = "badge status-" + s.status;
        bar.value = s.progress;
        bar.textContent = s.progress + "%";
        text.textContent = describe(s);
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();

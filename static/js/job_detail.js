// Live progress for a job page: polls status.json until the job is terminal, then reloads
// so the server renders the ranked candidates.
(function () {
  "use strict";
  var box = document.getElementById("job-status");
  if (!box || box.dataset.terminal === "1") return;
  var bar = document.getElementById("progress-bar");
  var text = document.getElementById("progress-text");
  var badge = document.getElementById("status-badge");

  // gettext/interpolate come from the JavaScript catalog (/jsi18n/), loaded before this file.
  var STATUS = {
    queued: gettext("Queued"),
    running: gettext("Running"),
    succeeded: gettext("Succeeded"),
    failed: gettext("Failed"),
    canceled: gettext("Canceled")
  };

  function describe(s) {
    if (s.status === "queued") {
      return s.queue_position
        ? interpolate(gettext("Queued: position %s in line"), [s.queue_position])
        : gettext("Queued");
    }
    if (s.total) {
      return interpolate(gettext("Rendering: step %(step)s of %(total)s"), s, true);
    }
    return gettext("Starting the engine…");
  }

  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (s) {
        if (!s) { setTimeout(poll, 3000); return; }
        if (s.terminal) { window.location.reload(); return; }
        badge.textContent = STATUS[s.status] || s.status;
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

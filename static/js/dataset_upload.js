// Dataset upload: split a large selection into batches that fit the server's limits.
(function(){
  // Large selections go up in several requests that each stay within the server's limits;
  // every request adds to the dataset, so the result is the same as one big upload.
  const form = document.getElementById("upload-form");
  if (!form) return;
  form.addEventListener("submit", async function(event){
    const input = document.getElementById("id_files");
    const files = Array.from(input.files || []);
    const maxFiles = +form.dataset.batchFiles, maxBytes = +form.dataset.batchBytes;
    const total = files.reduce((n, f) => n + f.size, 0);
    if (files.length <= maxFiles && total <= maxBytes) return;  // one ordinary POST
    event.preventDefault();
    const token = form.querySelector("[name=csrfmiddlewaretoken]").value;
    const status = document.getElementById("upload-progress");
    let batch = [], bytes = 0, sent = 0;
    async function flush(){
      const data = new FormData();
      data.append("csrfmiddlewaretoken", token);
      batch.forEach(f => data.append("files", f));
      await fetch(form.action, {method: "POST", body: data, credentials: "same-origin"});
      sent += batch.length; batch = []; bytes = 0;
      status.textContent = interpolate(gettext("Uploaded %(sent)s of %(total)s files…"), { sent: sent, total: files.length }, true);
    }
    for (const f of files) {
      if (batch.length && (batch.length >= maxFiles || bytes + f.size > maxBytes)) await flush();
      batch.push(f); bytes += f.size;
    }
    if (batch.length) await flush();
    window.location.reload();
  });
})();

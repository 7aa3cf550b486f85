// Generate page: as the brand manager types, ask the parse endpoint what was understood,
// show it as editable attribute chips (plus the words it did not understand), the composed
// prompt and the cost, before anything is submitted or charged.
(function () {
  "use strict";
  var form = document.getElementById("generate-form");
  if (!form) return;
  var chips = document.getElementById("attribute-chips");
  var unknown = document.getElementById("unknown-words");
  var prompt = document.getElementById("composed-prompt");
  var quote = document.getElementById("cost-quote");
  var preview = document.getElementById("parse-preview");
  var timer = null;
  var latest = 0; // responses can arrive out of order: only the newest request may paint

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function edits() {
    var out = {};
    form.querySelectorAll("input[name^='attr_']").forEach(function (input) {
      if (input.value.trim()) out[input.name.slice(5)] = input.value.trim();
    });
    return out;
  }

  function value(name) {
    var field = form.elements[name];
    return field ? field.value : "";
  }

  function body(withEdits) {
    var b = { description: value("description").trim(), n: Number(value("n") || 4),
              engine: value("engine") || "auto" };
    if (value("preset")) b.preset = value("preset");
    if (value("size")) b.size = Number(value("size"));
    if (value("steps")) b.steps = Number(value("steps"));
    if (withEdits) b.attributes = edits();
    return b;
  }

  function renderChips(attributes) {
    chips.replaceChildren();
    Object.keys(attributes).forEach(function (key) {
      var v = attributes[key];
      var label = el("label", { "class": "chip-edit" });
      label.appendChild(el("span", {}, key.replace(/_/g, " ")));
      label.appendChild(el("input", { name: "attr_" + key, value: Array.isArray(v) ? v.join(", ") : v,
                                       "aria-label": interpolate(gettext("Attribute %s"), [key]), size: "10" }));
      chips.appendChild(label);
    });
  }

  function renderUnknown(words) {
    unknown.replaceChildren();
    if (!words.length) { unknown.hidden = true; return; }
    unknown.hidden = false;
    unknown.appendChild(el("span", { "class": "muted" }, gettext("Not understood:") + " "));
    words.forEach(function (w) {
      unknown.appendChild(el("span", { "class": "chip unknown", title: gettext("Rephrase it, or set an attribute above") }, w));
    });
  }

  // Where each part of the prompt came from: "barista holding a coffee cup ← your words".
  function renderParts(parts, cut) {
    var list = document.getElementById("prompt-parts");
    list.replaceChildren();
    parts.forEach(function (p) {
      var from = p.origin + (p.source && p.source !== p.text ? ": " + p.source : "");
      list.appendChild(el("li", {}, p.text + " ← " + from));
    });
    if (cut.length) list.appendChild(el("li", { "class": "warn" }, interpolate(gettext("Cut to fit the model: %s"), [cut.join(", ")])));
    list.hidden = !parts.length && !cut.length;
  }

  function refresh(withEdits) {
    var b = body(withEdits);
    var ticket = ++latest;
    if (!b.description) { preview.hidden = true; quote.textContent = gettext("Describe your bot to see the cost."); return; }
    fetch(form.dataset.parseUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": value("csrfmiddlewaretoken") },
      body: JSON.stringify(b)
    }).then(function (res) {
      return res.json().then(function (data) { return { ok: res.ok, data: data }; });
    }).then(function (r) {
      if (ticket !== latest) return;
      quote.classList.remove("warn");
      if (!r.ok) {
        quote.textContent = r.data.error ? r.data.error.message : gettext("Could not price this request.");
        quote.classList.add("warn");
        return;
      }
      var d = r.data;
      preview.hidden = false;
      if (!withEdits) renderChips(d.attributes);
      renderUnknown((d.not_understood || []).map(function (n) { return n.text + " (" + n.reason + ")"; }));
      renderParts(d.prompt_parts || [], d.prompt_cut || []);
      prompt.textContent = d.prompt;
      quote.textContent = interpolate(ngettext(
        "Cost: %(cost)s credit (%(engine)s engine) · balance %(balance)s",
        "Cost: %(cost)s credits (%(engine)s engine) · balance %(balance)s",
        d.cost_credits), { cost: d.cost_credits, engine: d.engine, balance: d.balance }, true);
      if (d.cost_credits > d.balance) {
        quote.textContent += " · " + gettext("not enough credits");
        quote.classList.add("warn");
      }
    }).catch(function () { quote.textContent = gettext("Could not reach the server to price this request."); });
  }

  form.addEventListener("input", function (e) {
    if (e.target.name && e.target.name.indexOf("attr_") === 0) return;
    clearTimeout(timer);
    timer = setTimeout(function () { refresh(false); }, 350);
  });
  form.addEventListener("change", function (e) {
    if (e.target.name && e.target.name.indexOf("attr_") === 0) refresh(true);
  });
  refresh(false);
})();

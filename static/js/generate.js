// Generate page: as the brand manager types, ask the parse endpoint what was understood and
// the sketch endpoint for a vector drawing of it; show the attributes as editable chips (plus
// the words it did not understand, and where each prompt part came from), the composed prompt
// and the cost, before anything is submitted or charged. Chip edits go into an undo/redo
// history kept in the hidden attr_history field, in the same shape the server reads when
// the page is used without JavaScript (generation/web/attribute_history.py).
(function () {
  "use strict";
  var form = document.getElementById("generate-form");
  if (!form) return;
  var chips = document.getElementById("attribute-chips");
  var unknown = document.getElementById("unknown-words");
  var excluded = document.getElementById("excluded-words");
  var prompt = document.getElementById("composed-prompt");
  var quote = document.getElementById("cost-quote");
  var preview = document.getElementById("parse-preview");
  var sketch = document.getElementById("sketch");
  var status = document.getElementById("preview-status");
  var caption = document.getElementById("sketch-caption");
  var historyField = document.getElementById("attr-history");
  var undoButton = document.getElementById("undo-button");
  var redoButton = document.getElementById("redo-button");
  var MAX_STATES = 30;
  var timer = null;
  var latest = 0; // responses can arrive out of order: only the newest request may paint
  var latestSketch = 0;
  var sketchUrl = null;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function value(name) {
    var field = form.elements[name];
    return field ? field.value : "";
  }

  // --- the edit history: {states: [overrides, ...], at: cursor} ---------------------------
  var history = { states: [{}], at: 0 };
  try {
    var saved = JSON.parse(historyField.value || "null");
    if (saved && Array.isArray(saved.states) && saved.states.length) history = saved;
  } catch (e) { /* the server validates it; start afresh here */ }

  function overrides() { return Object.assign({}, history.states[history.at]); }

  function chipText(v) { return Array.isArray(v) ? v.join(", ") : String(v); }

  function saveHistory() {
    historyField.value = JSON.stringify(history);
    undoButton.disabled = history.at === 0;
    redoButton.disabled = history.at === history.states.length - 1;
  }

  function edit(name, text) {
    var next = overrides();
    if (text) next[name] = text; else delete next[name];
    if (JSON.stringify(next) === JSON.stringify(overrides())) return;
    history.states = history.states.slice(0, history.at + 1).concat([next]).slice(-MAX_STATES);
    history.at = history.states.length - 1;
    saveHistory();
    refresh();
  }

  function move(step) {
    var at = history.at + step;
    if (at < 0 || at >= history.states.length) return;
    history.at = at;
    saveHistory();
    refresh();
  }

  // --- painting ---------------------------------------------------------------------------
  function renderChips(attributes) {
    var focused = document.activeElement && chips.contains(document.activeElement) ?
      document.activeElement.name : null;
    chips.replaceChildren();
    Object.keys(attributes).forEach(function (key) {
      if (key === "exclude") return;
      var text = chipText(attributes[key]);
      var edited = Object.prototype.hasOwnProperty.call(overrides(), key);
      var label = el("label", { "class": "chip-edit" + (edited ? " edited" : "") });
      var name = el("span", {}, key.replace(/_/g, " "));
      if (edited) { name.appendChild(document.createTextNode(" ")); name.appendChild(el("small", {}, gettext("(edited)"))); }
      label.appendChild(name);
      label.appendChild(el("input", { name: "attr_" + key, value: text, "data-shown": text,
                                       "aria-label": interpolate(gettext("Attribute %s"), [key]),
                                       size: String(Math.min(Math.max(10, text.length + 2), 40)) }));
      label.appendChild(el("input", { type: "hidden", name: "shown_" + key, value: text }));
      chips.appendChild(label);
    });
    if (focused && form.elements[focused]) form.elements[focused].focus();
  }

  function renderUnknown(items) {
    unknown.replaceChildren();
    unknown.hidden = !items.length;
    if (!items.length) return;
    unknown.appendChild(el("span", { "class": "muted" }, gettext("Not understood:") + " "));
    items.forEach(function (n) {
      unknown.appendChild(el("span", { "class": "chip unknown", title: gettext("Rephrase it, or set an attribute above") },
                             n.text + " (" + n.reason + ")"));
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

  function sketchAlt(attributes) {
    var shown = Object.keys(attributes).filter(function (k) { return k !== "exclude"; })
      .map(function (k) { return chipText(attributes[k]); });
    return interpolate(gettext("Vector sketch: %s"), [shown.length ? shown.join("; ") : gettext("a default character")]);
  }

  // One sentence for the status region, so a screen reader hears what changed.
  function summary(attributes, notUnderstood) {
    var understood = Object.keys(attributes).map(function (k) {
      return k.replace(/_/g, " ") + " " + chipText(attributes[k]);
    }).join(", ");
    var text = interpolate(gettext("Understood: %s."), [understood || gettext("nothing yet")]);
    if (notUnderstood.length) {
      text += " " + interpolate(gettext("Not understood: %s."), [notUnderstood.map(function (n) { return n.text; }).join(", ")]);
    }
    return text + " " + gettext("Sketch updated.");
  }

  // --- requests ---------------------------------------------------------------------------
  function body() {
    var b = { description: value("description").trim(), n: Number(value("n") || 4),
              engine: value("engine") || "auto", attributes: overrides() };
    if (value("preset")) b.preset = value("preset");
    if (value("size")) b.size = Number(value("size"));
    if (value("steps")) b.steps = Number(value("steps"));
    if (value("speed")) b.speed = value("speed");
    return b;
  }

  function refreshSketch(b, alt) {
    var ticket = ++latestSketch;
    var params = new URLSearchParams();
    params.set("description", b.description);
    if (/^\d+$/.test(value("seed"))) params.set("seed", value("seed"));
    Object.keys(b.attributes).forEach(function (k) { params.set("attr_" + k, chipText(b.attributes[k])); });
    var url = b.preset ? form.dataset.presetSketchUrl.replace("00000000-0000-0000-0000-000000000000", b.preset)
                       : form.dataset.sketchUrl;
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": value("csrfmiddlewaretoken") },
      body: params
    }).then(function (res) {
      if (res.ok) return res.blob();
      // Keep the last drawing; say why it did not change (429: the workspace's per-minute cap).
      return res.json().catch(function () { return {}; }).then(function (data) {
        throw new Error(data.error ? data.error.message : gettext("The sketch could not be drawn."));
      });
    }).then(function (blob) {
      if (ticket !== latestSketch) return;
      if (sketchUrl) URL.revokeObjectURL(sketchUrl);
      sketchUrl = URL.createObjectURL(blob);
      sketch.src = sketchUrl;
      sketch.alt = alt;
      sketch.hidden = false;
      caption.textContent = gettext("Quick vector sketch");
    }).catch(function (err) {
      if (ticket === latestSketch) caption.textContent = err.message || gettext("The sketch could not be drawn.");
    });
  }

  function refresh() {
    var b = body();
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
      var error = document.getElementById("preview-error");
      if (error) error.remove();
      preview.hidden = false;
      renderChips(d.attributes);
      var left = d.attributes.exclude || [];
      excluded.textContent = left.length ? interpolate(gettext("Left out: %s"), [left.join(", ")]) : "";
      excluded.hidden = !left.length;
      renderUnknown(d.not_understood || []);
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
      refreshSketch(b, sketchAlt(d.attributes));
      status.textContent = summary(d.attributes, d.not_understood || []);
    }).catch(function () { quote.textContent = gettext("Could not reach the server to price this request."); });
  }

  function isChip(target) {
    return target && target.name && target.name.indexOf("attr_") === 0 && target.name !== "attr_history";
  }

  form.addEventListener("input", function (e) {
    if (isChip(e.target)) return; // committed on change, as one edit
    clearTimeout(timer);
    timer = setTimeout(refresh, 350);
  });
  form.addEventListener("change", function (e) {
    if (isChip(e.target)) {
      edit(e.target.name.slice(5), e.target.value.trim());
    } else if (e.target.name === "preset" || e.target.name === "seed") {
      refresh();
    }
  });
  form.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("button[name=action]");
    if (!button || button.value === "generate") return;
    e.preventDefault(); // with JavaScript these happen in place, without a round trip
    if (document.activeElement && isChip(document.activeElement)) {
      edit(document.activeElement.name.slice(5), document.activeElement.value.trim());
    }
    if (button.value === "undo") move(-1);
    else if (button.value === "redo") move(1);
    else refresh();
  });
  // Ctrl+Z / Ctrl+Shift+Z (and Ctrl+Y) undo and redo attribute edits, except where the
  // browser's own text undo has something to do: the description, or a chip being typed in.
  document.addEventListener("keydown", function (e) {
    if (!(e.ctrlKey || e.metaKey) || e.altKey) return;
    var key = e.key.toLowerCase();
    var redo = (key === "z" && e.shiftKey) || (key === "y" && !e.shiftKey);
    if (!redo && !(key === "z" && !e.shiftKey)) return;
    var t = e.target;
    if (t.tagName === "TEXTAREA") return;
    if (t.tagName === "INPUT" && !(isChip(t) && t.value === t.dataset.shown)) {
      if (t.type === "text" || t.type === "number" || t.type === "search" || !t.type) return;
    }
    e.preventDefault();
    move(redo ? 1 : -1);
  });

  saveHistory();
  refresh();
})();

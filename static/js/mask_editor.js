// Region edit: paint a mask over the avatar on a canvas the image's own size, then post it
// as a black-and-white PNG (white = change) in a hidden field. No inline script (CSP).
(function () {
  "use strict";
  var root = document.getElementById("mask-editor");
  var form = document.getElementById("edit-form");
  if (!root || !form) return;
  var canvas = document.getElementById("mask-canvas");
  var brush = document.getElementById("brush-size");
  var hint = document.getElementById("mask-hint");
  var field = document.getElementById("mask-data");
  var size = parseInt(root.dataset.size, 10) || canvas.width;
  var ctx = canvas.getContext("2d");
  var painting = false;
  var painted = false;
  var last = null;

  function point(event) {
    var box = canvas.getBoundingClientRect();
    return {
      x: (event.clientX - box.left) * size / box.width,
      y: (event.clientY - box.top) * size / box.height,
      scale: size / box.width
    };
  }

  function stroke(p) {
    var radius = Math.max(1, (parseInt(brush.value, 10) / 2) * p.scale);
    ctx.fillStyle = "#ff2d95";
    ctx.strokeStyle = "#ff2d95";
    ctx.lineCap = "round";
    ctx.lineWidth = radius * 2;
    if (last) {
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
    }
    ctx.beginPath();
    ctx.arc(p.x, p.y, radius, 0, 2 * Math.PI);
    ctx.fill();
    last = p;
    if (!painted) {
      painted = true;
      hint.textContent = gettext("Now say what should be there, then edit.");
    }
  }

  canvas.addEventListener("pointerdown", function (event) {
    painting = true;
    last = null;
    canvas.setPointerCapture(event.pointerId);
    stroke(point(event));
    event.preventDefault();
  });
  canvas.addEventListener("pointermove", function (event) {
    if (painting) stroke(point(event));
  });
  function stop() { painting = false; last = null; }
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);

  document.getElementById("mask-clear").addEventListener("click", function () {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    painted = false;
    hint.textContent = gettext("Paint over the part to change first.");
  });

  form.addEventListener("submit", function (event) {
    if (!painted) {
      event.preventDefault();
      hint.textContent = gettext("Paint over the part to change first: the mask is empty.");
      return;
    }
    // Black where the avatar stays, white where it changes, at the image's own size.
    var out = document.createElement("canvas");
    out.width = size;
    out.height = size;
    var o = out.getContext("2d");
    o.fillStyle = "#000";
    o.fillRect(0, 0, size, size);
    o.globalCompositeOperation = "source-over";
    o.drawImage(canvas, 0, 0, size, size);
    var pixels = o.getImageData(0, 0, size, size);
    for (var i = 0; i < pixels.data.length; i += 4) {
      var on = pixels.data[i] > 127 || pixels.data[i + 1] > 127 || pixels.data[i + 2] > 127;
      pixels.data[i] = pixels.data[i + 1] = pixels.data[i + 2] = on ? 255 : 0;
      pixels.data[i + 3] = 255;
    }
    o.putImageData(pixels, 0, 0);
    field.value = out.toDataURL("image/png");
  });
})();

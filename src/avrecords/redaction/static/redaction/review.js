/* Redacted copies (issue 21 §3): the request form's sound rows, and the review page's
   overlay — every track's box drawn over the player at the current time (keyframes from
   tracks.json, interpolated as the renderer does), the timeline's playhead, seeking from a
   track, and 添加遮盖框: a rectangle dragged on the paused frame, posted as fractions of the
   frame. */
(function () {
  "use strict";

  // --- the request form: add and remove sound rows ----------------------------------------
  function audioRows(root) {
    var box = root.querySelector("[data-audio-rows]");
    if (!box) return;
    var template = box.querySelector("template[data-audio-template]");
    var add = box.querySelector("[data-audio-add]");
    add.addEventListener("click", function () {
      var row = template.content.firstElementChild.cloneNode(true);
      add.parentNode.parentNode.insertBefore(row, add.parentNode);
      row.querySelector("input").focus();
    });
    box.addEventListener("click", function (event) {
      var remove = event.target.closest("[data-audio-remove]");
      if (remove) remove.closest("[data-audio-row]").remove();
    });
  }

  // --- the review page --------------------------------------------------------------------
  // A track shows this long before its first and after its last keyframe (half the
  // detector's step at 5 frames per second), as the renderer pads it.
  var EDGE_SECONDS = 0.25;

  function keyframes(track) {
    return (track.boxes || []).map(function (b) {
      return Array.isArray(b) ? b : [b.t, b.x, b.y, b.w, b.h];
    });
  }

  function boxAt(frames, t) {
    if (!frames.length) return null;
    if (t < frames[0][0] - EDGE_SECONDS || t > frames[frames.length - 1][0] + EDGE_SECONDS) {
      return null;
    }
    if (t <= frames[0][0]) return frames[0].slice(1);
    for (var i = 1; i < frames.length; i++) {
      var a = frames[i - 1], b = frames[i];
      if (t <= b[0]) {
        var span = b[0] - a[0];
        var k = span > 0 ? (t - a[0]) / span : 0;
        return [1, 2, 3, 4].map(function (j) { return a[j] + (b[j] - a[j]) * k; });
      }
    }
    return frames[frames.length - 1].slice(1);
  }

  // Where the picture is inside the <video> element (letterboxed by object-fit: contain).
  function pictureRect(video) {
    var w = video.clientWidth, h = video.clientHeight;
    var vw = video.videoWidth || w, vh = video.videoHeight || h;
    var scale = Math.min(w / vw, h / vh);
    var pw = vw * scale, ph = vh * scale;
    return { x: (w - pw) / 2, y: (h - ph) / 2, w: pw, h: ph };
  }

  function review(root) {
    var section = root.querySelector("#review");
    if (!section) return;
    var video = section.querySelector("[data-review-video]");
    var canvas = section.querySelector("[data-overlay]");
    var start = parseFloat(section.dataset.start) || 0;
    var end = parseFloat(section.dataset.end) || 0;
    var tracks = [];
    var drawing = false, dragFrom = null, dragTo = null;

    function load() {
      fetch(section.dataset.tracksUrl, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { tracks: [] }; })
        .then(function (data) {
          tracks = (data.tracks || data || []).map(function (t) {
            return { hide: t.hide !== false, label: t.label || "", frames: keyframes(t) };
          });
          draw();
        });
    }

    function draw() {
      if (!video || !canvas) return;
      var w = video.clientWidth, h = video.clientHeight;
      if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
      var ctx = canvas.getContext("2d");
      ctx.clearRect(0, 0, w, h);
      var pic = pictureRect(video);
      var t = video.currentTime;
      ctx.lineWidth = 2;
      ctx.font = "12px sans-serif";
      tracks.forEach(function (track) {
        var box = boxAt(track.frames, t);
        if (!box) return;
        var x = pic.x + box[0] * pic.w, y = pic.y + box[1] * pic.h;
        var bw = box[2] * pic.w, bh = box[3] * pic.h;
        ctx.setLineDash(track.hide ? [] : [6, 4]);
        ctx.strokeStyle = track.hide ? "#e11d48" : "#94a3b8";
        ctx.fillStyle = track.hide ? "rgba(225,29,72,0.18)" : "rgba(148,163,184,0.08)";
        ctx.fillRect(x, y, bw, bh);
        ctx.strokeRect(x, y, bw, bh);
        ctx.setLineDash([]);
        ctx.fillStyle = ctx.strokeStyle;
        ctx.fillText(track.label + (track.hide ? "" : "（不遮盖）"), x, Math.max(12, y - 4));
      });
      if (dragFrom && dragTo) {
        ctx.setLineDash([4, 3]);
        ctx.strokeStyle = "#2563eb";
        ctx.strokeRect(dragFrom.x, dragFrom.y, dragTo.x - dragFrom.x, dragTo.y - dragFrom.y);
        ctx.setLineDash([]);
      }
      var head = root.querySelector("[data-playhead]");
      if (head && end > start) {
        head.hidden = false;
        head.style.left = (100 * Math.min(1, Math.max(0, (t - start) / (end - start)))) + "%";
      }
    }

    function loop() { draw(); if (!video.paused) window.requestAnimationFrame(loop); }

    function seekTo(seconds) {
      if (!video) return;
      video.currentTime = seconds;
      video.pause();
    }

    root.addEventListener("click", function (event) {
      var seek = event.target.closest("[data-seek]");
      if (seek) { seekTo(parseFloat(seek.dataset.seek) || 0); }
    });
    // A refused 遮盖/不遮盖 (the copy changed state meanwhile): the service's reason, in place.
    document.body.addEventListener("htmx:responseError", function (event) {
      var box = section.querySelector("[data-review-error]");
      if (!box) return;
      var said = "";
      try { said = JSON.parse(event.detail.xhr.responseText).detail; } catch (e) { said = ""; }
      box.textContent = said || "操作未完成，请刷新页面后重试";
      box.hidden = false;
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.target.id === "tracks" || (event.detail && event.detail.target &&
          event.detail.target.id === "tracks")) { load(); }
    });

    if (video) {
      ["timeupdate", "seeked", "loadedmetadata", "pause"].forEach(function (name) {
        video.addEventListener(name, draw);
      });
      video.addEventListener("play", loop);
      window.addEventListener("resize", draw);
      if (start > 0) {
        video.addEventListener("loadedmetadata", function () {
          if (video.currentTime < start) video.currentTime = start;
        }, { once: true });
      }
    }

    var button = section.querySelector("[data-draw]");
    var hint = section.querySelector("[data-draw-hint]");
    function setDrawing(on) {
      drawing = on;
      if (canvas) canvas.classList.toggle("drawing", on);
      if (button) button.textContent = on ? "放弃添加" : "添加遮盖框";
      if (on && video) video.pause();
      if (hint && on) hint.textContent = "在画面上按住鼠标拖出需要遮盖的区域。";
      dragFrom = dragTo = null;
      draw();
    }
    if (button) button.addEventListener("click", function () { setDrawing(!drawing); });

    function point(event) {
      var r = canvas.getBoundingClientRect();
      return { x: event.clientX - r.left, y: event.clientY - r.top };
    }
    if (canvas) {
      canvas.addEventListener("pointerdown", function (event) {
        if (!drawing) return;
        canvas.setPointerCapture(event.pointerId);
        dragFrom = dragTo = point(event);
        event.preventDefault();
      });
      canvas.addEventListener("pointermove", function (event) {
        if (!drawing || !dragFrom) return;
        dragTo = point(event);
        draw();
      });
      canvas.addEventListener("pointerup", function (event) {
        if (!drawing || !dragFrom) return;
        dragTo = point(event);
        var pic = pictureRect(video);
        var x0 = Math.max(pic.x, Math.min(dragFrom.x, dragTo.x));
        var y0 = Math.max(pic.y, Math.min(dragFrom.y, dragTo.y));
        var x1 = Math.min(pic.x + pic.w, Math.max(dragFrom.x, dragTo.x));
        var y1 = Math.min(pic.y + pic.h, Math.max(dragFrom.y, dragTo.y));
        dragFrom = dragTo = null;
        if (x1 - x0 < 4 || y1 - y0 < 4) { draw(); return; }
        send({
          t: video.currentTime.toFixed(3),
          x: ((x0 - pic.x) / pic.w).toFixed(4),
          y: ((y0 - pic.y) / pic.h).toFixed(4),
          w: ((x1 - x0) / pic.w).toFixed(4),
          h: ((y1 - y0) / pic.h).toFixed(4),
        });
      });
    }

    function send(fields) {
      var token = section.querySelector("[name=csrfmiddlewaretoken]");
      var body = new URLSearchParams(fields);
      if (hint) hint.textContent = "正在添加并向后跟踪……";
      fetch(section.dataset.boxUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": token ? token.value : "", "Accept": "application/json" },
        body: body,
      })
        .then(function (r) { return r.json().then(function (d) { return { ok: r.ok, d: d }; }); })
        .then(function (answer) {
          if (answer.ok) { window.location.reload(); return; }
          if (hint) hint.textContent = answer.d.detail || "未能添加遮盖框";
          setDrawing(false);
        })
        .catch(function () {
          if (hint) hint.textContent = "未能添加遮盖框，请检查网络后重试";
        });
    }

    load();
  }

  // A player shows its first picture rather than black before it is played.
  function firstFrames(root) {
    root.querySelectorAll("video[data-first-frame]").forEach(function (video) {
      video.addEventListener("loadedmetadata", function () {
        if (video.currentTime === 0) video.currentTime = 0.04;
      }, { once: true });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    firstFrames(document);
    audioRows(document);
    review(document);
  });
})();

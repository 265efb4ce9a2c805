// The recording player (issue 17 §5): speed, frame step, ±10 s, keyboard shortcuts, the time
// display, the timeline's marks and every [data-seek] link seeking the player, and the current
// time sent with the player's forms (bookmark, snapshot, timed note). No inline script: the
// Content-Security-Policy forbids it. One player per page: the element #player holding a
// <video>/<audio data-media>; the scoring page swaps which recording it holds.
(() => {
  "use strict";

  const pad = (n) => String(n).padStart(2, "0");
  const clock = (seconds) => {
    const s = Math.max(0, Math.floor(seconds || 0));
    return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  };

  const root = () => document.getElementById("player");
  const media = () => root()?.querySelector("[data-media]") || null;
  const duration = () => {
    const m = media();
    if (m && Number.isFinite(m.duration) && m.duration > 0) return m.duration;
    return parseFloat(root()?.dataset.duration || "0") || 0;
  };
  const frameSeconds = () => 1 / (parseFloat(root()?.dataset.frameRate || "25") || 25);

  function seek(seconds) {
    const m = media();
    if (!m) return;
    const d = duration();
    const to = Math.max(0, d ? Math.min(seconds, d) : seconds);
    m.currentTime = to;
    show();
  }

  function show() {
    const m = media();
    const r = root();
    if (!m || !r) return;
    const time = r.querySelector("[data-time]");
    if (time) time.textContent = `${clock(m.currentTime)} / ${clock(duration())}`;
    const played = r.querySelector("[data-played]");
    const d = duration();
    if (played && d) played.style.width = `${Math.min(100, (100 * m.currentTime) / d)}%`;
    const toggle = r.querySelector("[data-toggle]");
    if (toggle) toggle.textContent = m.paused ? "播放" : "暂停";
  }

  function toggle() {
    const m = media();
    if (!m) return;
    if (m.paused) m.play().catch(() => {});
    else m.pause();
  }

  function step(frames) {
    const m = media();
    if (!m) return;
    m.pause();
    seek(m.currentTime + frames * frameSeconds());
  }

  function speed(rate) {
    const m = media();
    if (!m) return;
    m.playbackRate = rate;
    root()
      .querySelectorAll("[data-speed]")
      .forEach((b) => b.classList.toggle("active", parseFloat(b.dataset.speed) === rate));
  }

  document.addEventListener("click", (event) => {
    const r = root();
    if (!r) return;
    const target = event.target.closest(
      "[data-seek], [data-jump], [data-frame], [data-speed], [data-toggle], [data-timeline]",
    );
    if (!target) return;
    if (target.matches("[data-seek]")) {
      event.preventDefault();
      if (target.dataset.recording && window.avPlayerChoose) {
        window.avPlayerChoose(target.dataset.recording, parseFloat(target.dataset.seek));
        return;
      }
      seek(parseFloat(target.dataset.seek));
      if (!target.closest("#player")) r.scrollIntoView({ block: "start", behavior: "smooth" });
    } else if (target.matches("[data-jump]")) {
      const m = media();
      if (m) seek(m.currentTime + parseFloat(target.dataset.jump));
    } else if (target.matches("[data-frame]")) {
      step(parseInt(target.dataset.frame, 10));
    } else if (target.matches("[data-speed]")) {
      speed(parseFloat(target.dataset.speed));
    } else if (target.matches("[data-toggle]")) {
      toggle();
    } else if (target.matches("[data-timeline]")) {
      // a click on the bar itself (not on a mark) seeks to that share of the length
      const box = target.getBoundingClientRect();
      if (box.width > 0) seek(((event.clientX - box.left) / box.width) * duration());
    }
  });

  document.addEventListener("keydown", (event) => {
    if (!media() || event.ctrlKey || event.metaKey || event.altKey) return;
    const t = event.target;
    if (t.closest && t.closest("input, textarea, select, [contenteditable]")) return;
    if (event.key === " " && t.closest && t.closest("button, a, video, audio")) return;
    const m = media();
    const actions = {
      " ": () => toggle(),
      ArrowLeft: () => seek(m.currentTime - 10),
      ArrowRight: () => seek(m.currentTime + 10),
      ",": () => step(-1),
      ".": () => step(1),
    };
    const act = actions[event.key];
    if (act) {
      event.preventDefault();
      act();
    }
  });

  // The player's forms carry the moment they are about (bookmark, snapshot): filled in as they
  // are sent, by HTMX or plainly.
  const stamp = (form) => {
    const m = media();
    const at = form.querySelector("input[name=at]");
    if (m && at) at.value = m.currentTime.toFixed(3);
  };
  document.addEventListener(
    "submit",
    (event) => {
      if (event.target.matches("form[data-player-time]")) stamp(event.target);
    },
    true,
  );
  document.addEventListener("htmx:configRequest", (event) => {
    const form = event.detail.elt.closest && event.detail.elt.closest("form[data-player-time]");
    const m = media();
    if (form && m) event.detail.parameters.at = m.currentTime.toFixed(3);
  });
  // A refused bookmark or snapshot answers 400 with the part again and its reasons: show it.
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.xhr.status === 400 && event.detail.target.closest("#player")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  const listen = () => {
    const m = media();
    if (!m || m.dataset.bound) return;
    m.dataset.bound = "1";
    ["timeupdate", "seeked", "play", "pause", "loadedmetadata", "ratechange"].forEach((e) =>
      m.addEventListener(e, show),
    );
    show();
  };
  document.addEventListener("DOMContentLoaded", listen);
  document.addEventListener("htmx:afterSettle", listen);
  window.avPlayerListen = listen;
  window.avPlayerSeek = seek;
  window.avPlayerClock = clock;
  if (document.readyState !== "loading") listen();
})();

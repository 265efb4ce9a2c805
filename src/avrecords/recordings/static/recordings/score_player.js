// Scoring beside the player (issue 17 §5): choose which of the sampled activity's recordings
// plays, and "在当前时间添加备注" writes "02:13 未告知" into that recording's timed-note box
// (the form's existing storage format) and into the clickable list. Works with player.js.
(() => {
  "use strict";

  const root = () => document.getElementById("player");
  const media = () => root()?.querySelector("[data-media]") || null;
  const current = () => root()?.dataset.recording || "";

  // scoring.format_time: "02:13", or "1:02:13" past the hour
  const noteTime = (seconds) => {
    const s = Math.max(0, Math.floor(seconds || 0));
    const h = Math.floor(s / 3600);
    const m = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
    const sec = String(s % 60).padStart(2, "0");
    return h ? `${h}:${m}:${sec}` : `${m}:${sec}`;
  };

  function choose(pk, seekTo) {
    const r = root();
    const m = media();
    if (!r || !m) return;
    const seekNow = () => {
      if (Number.isFinite(seekTo) && window.avPlayerSeek) window.avPlayerSeek(seekTo);
    };
    if (String(pk) === current()) {
      seekNow();
      r.scrollIntoView({ block: "start", behavior: "smooth" });
      return;
    }
    const option = r.querySelector(`.recording-picker [data-choose="${CSS.escape(String(pk))}"]`);
    if (!option) return;
    r.dataset.recording = option.dataset.choose;
    r.dataset.duration = option.dataset.duration;
    r.dataset.frameRate = option.dataset.frameRate;
    r.querySelectorAll(".recording-picker [data-choose]").forEach((b) => {
      b.classList.toggle("active", b === option);
    });
    const name = r.querySelector("[data-playing-name]");
    if (name) name.textContent = option.title || option.textContent.trim();
    const link = r.querySelector("[data-playing-link]");
    if (link) link.href = `/recordings/${option.dataset.choose}/`;
    m.pause();
    if (Number.isFinite(seekTo)) {
      m.addEventListener("loadedmetadata", seekNow, { once: true });
    }
    m.src = option.dataset.src;
    m.load();
    r.scrollIntoView({ block: "start", behavior: "smooth" });
  }
  window.avPlayerChoose = (pk, seekTo) => choose(pk, seekTo);

  function addNote() {
    const r = root();
    const m = media();
    const input = r?.querySelector("[data-note-text]");
    if (!r || !m || !input) return;
    const text = input.value.trim();
    if (!text) {
      input.setCustomValidity("请先写明问题，如：未告知");
      input.reportValidity();
      return;
    }
    input.setCustomValidity("");
    const at = Math.floor(m.currentTime);
    const line = `${noteTime(at)} ${text}`;
    const box = document.querySelector(`[data-notes-box="${CSS.escape(current())}"]`);
    if (box) {
      box.value = box.value.replace(/\s+$/, "");
      box.value += (box.value ? "\n" : "") + line;
    }
    const list = r.querySelector(`[data-notes-for="${CSS.escape(current())}"]`);
    if (list) {
      const item = document.createElement("li");
      const seek = document.createElement("a");
      seek.href = "#player";
      seek.className = "mono";
      seek.dataset.seek = String(at);
      seek.dataset.recording = current();
      seek.textContent = noteTime(at);
      item.append(seek, ` ${text}`);
      list.append(item);
    }
    r.querySelector("[data-notes-empty]")?.setAttribute("hidden", "");
    input.value = "";
    input.focus();
  }

  document.addEventListener("click", (event) => {
    const choice = event.target.closest("[data-choose]");
    if (choice) {
      event.preventDefault();
      choose(choice.dataset.choose);
      return;
    }
    if (event.target.closest("[data-add-note]")) {
      event.preventDefault();
      addNote();
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.matches("[data-note-text]")) {
      event.preventDefault(); // not the score form's submit
      addNote();
    }
  });
})();

// The upload page's resumable uploads (issue 19 §3; M1): each chosen file goes to the server by
// tus 1.0.0 (`/api/v1/uploads/`, the vendored tus-js-client 4.3.1 beside this file) in parts of
// the size the page names (data-part-bytes), one file at a time, so a 4G connection is not
// shared between files. Each file gets a row: name, size, a progress bar with percent, speed
// and time left, 暂停 / 继续 / 取消, and at the end the import's outcome from the server. A
// dropped connection is retried by itself; a page reloaded or closed mid-way resumes from the
// server's offset when the same file is chosen again (tus-js-client keeps the upload's address
// in localStorage under a fingerprint of the person, the file and the endpoint).
// Without JavaScript (or a browser tus-js-client does not support) nothing here runs and the
// form posts the files to the page as one batch. No inline script: the CSP forbids it.
(() => {
  "use strict";

  // Tried in turn after a failed request (ms); about ten minutes in all, then the row waits
  // for the person's 继续 or for the browser to report the network back.
  const RETRY_DELAYS_MS = [0, 1000, 2000, 4000, 8000, 15000, 30000, 30000, 60000, 60000,
    60000, 60000, 60000, 60000, 60000, 60000];
  const SPEED_WINDOW_MS = 10000; // speed and time left from the last ten seconds
  const STATUS_EVERY_MS = 500; // the progress line is rewritten at most this often

  const OUTCOMES = {
    imported: "已导入",
    duplicate: "重复文件（已存在）",
    quarantined: "已隔离",
    skipped: "已跳过",
    failed: "失败",
  };

  function size(bytes) {
    if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
    if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
    return `${Math.ceil(bytes / 1024)} KB`;
  }

  function duration(seconds) {
    if (seconds < 60) return `约 ${Math.max(1, Math.round(seconds))} 秒`;
    if (seconds < 3600) return `约 ${Math.round(seconds / 60)} 分钟`;
    const hours = Math.floor(seconds / 3600);
    return `约 ${hours} 小时 ${Math.round((seconds - hours * 3600) / 60)} 分钟`;
  }

  function el(tag, attrs = {}, text = "") {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    if (text) node.textContent = text;
    return node;
  }

  // The server's Chinese reason from a refused request ({"detail": …}), if it gave one.
  function detailOf(err) {
    const response = err && err.originalResponse;
    if (!response) return "";
    try {
      return JSON.parse(response.getBody() || "{}").detail || "";
    } catch (e) {
      return "";
    }
  }

  function statusOf(err) {
    return err && err.originalResponse ? err.originalResponse.getStatus() : 0;
  }

  class Row {
    constructor(file, page) {
      this.file = file;
      this.page = page;
      this.upload = null;
      this.state = "queued";
      this.offset = 0;
      this.samples = [];
      this.shownAt = 0;
      this.announcedQuarter = 0;
      this.resumedFrom = null;

      this.node = el("li", { class: "upload-row", "data-state": "queued" });
      const head = el("div", { class: "upload-head" });
      this.name = el("span", { class: "upload-name" }, file.name);
      head.append(this.name, el("span", { class: "upload-size" }, size(file.size)));
      this.bar = el("progress", { max: "100", value: "0", "aria-label": `${file.name} 上传进度` });
      this.bar.textContent = "0%";
      this.status = el("div", { class: "upload-status" }, "等待上传");
      this.note = el("div", { class: "upload-note muted" });
      this.note.hidden = true;
      const actions = el("div", { class: "actions" });
      this.pauseButton = el("button", { type: "button" }, "暂停");
      this.resumeButton = el("button", { type: "button" }, "继续");
      this.cancelButton = el("button", { type: "button", class: "secondary" }, "取消");
      for (const [button, act] of [[this.pauseButton, "pause"], [this.resumeButton, "resume"],
        [this.cancelButton, "cancel"]]) {
        button.setAttribute("aria-label", `${button.textContent}「${file.name}」`);
        button.addEventListener("click", () => this[act]());
        actions.append(button);
      }
      this.node.append(head, this.bar, this.status, this.note, actions);
      this.show("queued");
    }

    get active() {
      return ["starting", "uploading", "retrying"].includes(this.state);
    }

    // The state, and which buttons it offers.
    show(state, text, note) {
      this.state = state;
      this.node.dataset.state = state;
      if (text !== undefined) this.status.textContent = text;
      if (note !== undefined) {
        this.note.textContent = note;
        this.note.hidden = !note;
      }
      const over = ["done", "duplicate", "failed", "refused", "cancelled"].includes(state);
      this.pauseButton.hidden = !(this.active || state === "queued");
      this.resumeButton.hidden = !["paused", "interrupted"].includes(state);
      this.cancelButton.hidden = over;
      this.bar.hidden = ["refused", "cancelled"].includes(state);
    }

    refuse(reason) {
      this.show("refused", `未上传：${reason}`);
      this.page.say(`${this.file.name} 未上传：${reason}`);
    }

    start() {
      this.samples = [];
      this.show("starting", this.upload ? "正在连接服务器…" : "正在准备…", "");
      if (!this.upload) this.upload = this.page.tusUpload(this);
      const upload = this.upload;
      if (upload.url) {
        upload.start(); // HEAD first: the server's offset
        return;
      }
      upload.findPreviousUploads().then((previous) => {
        if (this.state !== "starting" || this.upload !== upload) return;
        previous.sort((a, b) => String(b.creationTime).localeCompare(String(a.creationTime)));
        if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
        upload.start();
      });
    }

    pause() {
      if (this.state === "queued") {
        this.show("paused", "已暂停");
        this.page.next();
        return;
      }
      if (!this.active || !this.upload) return;
      this.upload.abort(false);
      this.show("paused", `已暂停：${this.sentText()}`, "");
      this.page.say(`${this.file.name} 已暂停`);
      this.page.next();
    }

    resume() {
      if (!["paused", "interrupted"].includes(this.state)) return;
      this.show("queued", "等待上传");
      this.page.next();
    }

    cancel() {
      const begun = this.upload && this.upload.url;
      if (begun && !window.confirm(`确定要取消上传「${this.file.name}」吗？已上传的部分将被删除。`)) {
        return;
      }
      const wasActive = this.active;
      if (this.upload) this.upload.abort(true).catch(() => {}); // terminates it on the server
      this.show("cancelled", "已取消", "");
      this.page.say(`${this.file.name} 已取消`);
      if (wasActive) this.page.next();
    }

    percent() {
      return this.file.size ? Math.floor((100 * this.offset) / this.file.size) : 100;
    }

    sentText() {
      return `已上传 ${size(this.offset)} / ${size(this.file.size)}（${this.percent()}%）`;
    }

    // tus-js-client's events -------------------------------------------------------------

    answered(req, res) {
      if (req.getMethod() !== "HEAD" || res.getStatus() !== 200) return;
      const offset = parseInt(res.getHeader("Upload-Offset"), 10);
      if (!Number.isFinite(offset)) return;
      this.offset = offset;
      if (offset > 0) {
        this.resumedFrom = offset;
        this.node.dataset.resumedFrom = String(offset);
        const text = `从 ${size(offset)} 处继续上传`;
        this.show("uploading", undefined, text);
        this.page.say(`${this.file.name} ${text}`);
      }
    }

    progressed(sent, total) {
      if (this.state !== "uploading" && this.state !== "starting" && this.state !== "retrying") {
        return;
      }
      if (this.state === "retrying") this.show("uploading", undefined, "网络已恢复，继续上传");
      else if (this.state === "starting") this.show("uploading");
      this.offset = sent;
      const now = performance.now();
      this.samples.push([now, sent]);
      while (this.samples.length > 2 && now - this.samples[0][0] > SPEED_WINDOW_MS) {
        this.samples.shift();
      }
      const percent = this.percent();
      this.bar.value = percent;
      this.bar.textContent = `${percent}%`;
      if (now - this.shownAt < STATUS_EVERY_MS && sent < total) return;
      this.shownAt = now;
      let text = this.sentText();
      const [t0, b0] = this.samples[0];
      const seconds = (now - t0) / 1000;
      if (seconds >= 1 && sent > b0) {
        const speed = (sent - b0) / seconds;
        text += `，${size(speed)}/s`;
        if (sent < total) text += `，${duration((total - sent) / speed)}`;
      }
      if (sent >= total) text += "，正在导入…";
      this.status.textContent = text;
      const quarter = Math.floor(percent / 25);
      if (quarter > this.announcedQuarter && quarter < 4) {
        this.announcedQuarter = quarter;
        this.page.say(`${this.file.name} 已上传 ${percent}%`);
      }
    }

    retrying(err) {
      const status = statusOf(err);
      // a refusal (4xx) is final, except a conflict over the offset or a locked upload
      if (status >= 400 && status < 500 && status !== 409 && status !== 423) return false;
      if (this.state === "paused" || this.state === "cancelled") return false;
      this.samples = [];
      this.show("retrying", this.sentText(), "网络中断，正在重试…");
      this.page.say(`${this.file.name} 网络中断，正在重试`);
      return true;
    }

    // Instead of waiting out the retry delay: the request that failed is over, so nothing
    // is sent twice; the server's offset is asked first, as after any interruption.
    retryNow() {
      const upload = this.upload;
      upload.abort(false).then(() => {
        if (this.state === "retrying" && this.upload === upload) upload.start();
      });
    }

    failed(err) {
      if (this.state === "paused" || this.state === "cancelled") return;
      const status = statusOf(err);
      const detail = detailOf(err);
      if (status >= 400 && status < 500 && status !== 409 && status !== 423) {
        this.refuse(detail || `服务器拒绝了上传（${status}）`);
      } else {
        const why = detail || "网络中断";
        this.show("interrupted", `上传中断：${why}。已上传 ${size(this.offset)}，网络恢复后自动继续，也可点「继续」。`, "");
        this.page.say(`${this.file.name} 上传中断`);
      }
      this.page.next();
    }

    succeeded(payload) {
      this.offset = this.file.size;
      this.bar.value = 100;
      this.bar.textContent = "100%";
      const response = payload && payload.lastResponse;
      const fromHeaders = {
        outcome: response ? response.getHeader("Avrecords-Outcome") : "",
        sha256: response ? response.getHeader("Avrecords-Sha256") : "",
        recording_id: response ? response.getHeader("Avrecords-Recording") : "",
        reason: "",
      };
      fetch(this.upload.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((r) => (r.ok ? r.json() : fromHeaders))
        .catch(() => fromHeaders)
        .then((result) => this.outcome(result));
    }

    outcome(result) {
      const outcome = result.outcome || "failed";
      const label = OUTCOMES[outcome] || OUTCOMES.failed;
      const recording = result.recording_url || (result.recording_id ? `/recordings/${result.recording_id}/` : "");
      if (recording) {
        const link = el("a", { href: recording }, this.file.name);
        this.name.textContent = "";
        this.name.append(link);
      }
      if (result.sha256) this.node.dataset.sha256 = result.sha256;
      const state = outcome === "imported" ? "done" : outcome === "duplicate" ? "duplicate" : "failed";
      const reason = result.reason && outcome !== "imported" && outcome !== "duplicate" ? `：${result.reason}` : "";
      this.show(state, `${label}${reason}`, "");
      this.page.say(`${this.file.name} ${label}${reason}`);
      this.page.next();
    }
  }

  class Page {
    constructor(form) {
      const d = form.dataset;
      this.form = form;
      this.input = form.querySelector("input[type=file]");
      this.endpoint = d.endpoint;
      this.partBytes = parseInt(d.partBytes, 10);
      this.maxBytes = parseInt(d.maxBytes, 10);
      this.tooLarge = d.tooLarge;
      this.owner = d.owner;
      this.csrf = d.csrf;
      this.rows = [];
      this.announcer = document.getElementById("upload-announce");
      this.list = el("ul", { class: "uploads", "aria-label": "上传的文件" });
      form.addEventListener("submit", (ev) => {
        ev.preventDefault();
        this.add(Array.from(this.input.files));
        this.input.value = ""; // the same file may be chosen again, to resume it
      });
      // the browser says the network is back: rows waiting for it go on at once
      window.addEventListener("online", () => {
        for (const row of this.rows) {
          if (row.state === "interrupted") row.resume();
          else if (row.state === "retrying") row.retryNow();
        }
      });
    }

    say(text) {
      if (this.announcer) this.announcer.textContent = text;
    }

    add(files) {
      const result = document.getElementById("result");
      if (!this.list.isConnected) {
        result.textContent = "";
        result.append(this.list);
      }
      for (const file of files) {
        const row = new Row(file, this);
        this.rows.push(row);
        this.list.append(row.node);
        if (file.size > this.maxBytes) row.refuse(this.tooLarge);
        else if (file.size === 0) row.refuse("空文件（0 字节）");
      }
      this.next();
    }

    // One file at a time: the next queued row starts when none is under way.
    next() {
      if (this.rows.some((row) => row.active)) return;
      const row = this.rows.find((r) => r.state === "queued");
      if (row) row.start();
    }

    tusUpload(row) {
      const file = row.file;
      const owner = this.owner;
      const endpoint = this.endpoint;
      return new tus.Upload(file, {
        endpoint,
        chunkSize: this.partBytes,
        retryDelays: RETRY_DELAYS_MS,
        headers: { "X-CSRFToken": this.csrf },
        metadata: {
          filename: file.name,
          mtime: new Date(file.lastModified || Date.now()).toISOString(),
        },
        // the person too: another person's upload in this browser is never resumed
        fingerprint: (f) => Promise.resolve(
          ["avrecords", owner, f.name, f.type, f.size, f.lastModified, endpoint].join("/")),
        storeFingerprintForResuming: true,
        removeFingerprintOnSuccess: true,
        onShouldRetry: (err) => row.retrying(err),
        onAfterResponse: (req, res) => row.answered(req, res),
        onProgress: (sent, total) => row.progressed(sent, total),
        onSuccess: (payload) => row.succeeded(payload),
        onError: (err) => row.failed(err),
      });
    }
  }

  function init() {
    const form = document.getElementById("upload-form");
    if (!form || !window.tus || !window.tus.isSupported) return; // the form posts by itself
    new Page(form);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

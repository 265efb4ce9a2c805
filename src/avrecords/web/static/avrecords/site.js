// Behaviour shared by every page, kept out of the HTML so the Content-Security-Policy can
// forbid inline scripts and event handlers (issue 15, row 13; issue 17 §1, §4, §7).

// <select data-autosubmit>: submit its form when the choice changes.
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-autosubmit]") && event.target.form) {
    event.target.form.requestSubmit();
  }
});

// <img data-hide-broken>: hide an image that fails to load (error events do not bubble).
document.addEventListener(
  "error",
  (event) => {
    if (event.target instanceof HTMLImageElement && event.target.matches("[data-hide-broken]")) {
      event.target.style.visibility = "hidden";
    }
  },
  true,
);

// <form data-confirm="确定要……吗？">: ask before an irreversible action is submitted. Capture
// phase, so the question comes before HTMX (or any other handler) sends the form.
document.addEventListener(
  "submit",
  (event) => {
    const form = event.target;
    const question = form instanceof HTMLFormElement && form.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  },
  true,
);
// An HTMX request started by an element inside such a form (hx-post on a button) asks too.
document.addEventListener("htmx:confirm", (event) => {
  const form = event.target.closest && event.target.closest("form[data-confirm]");
  if (form && event.target !== form) {
    event.preventDefault();
    if (window.confirm(form.dataset.confirm)) event.detail.issueRequest(true);
  }
});

// Tables become cards on phones: each cell gets its column's heading as data-label, which
// the stylesheet shows beside the value. table.keep stays a table.
function labelTables(root) {
  root.querySelectorAll("table:not(.keep)").forEach((table) => {
    const heads = Array.from(table.querySelectorAll("thead th")).map((th) =>
      th.textContent.trim(),
    );
    if (!heads.length) return;
    table.querySelectorAll("tbody tr").forEach((row) => {
      let column = 0;
      Array.from(row.children).forEach((cell) => {
        if (!cell.hasAttribute("data-label") && !cell.hasAttribute("colspan")) {
          cell.setAttribute("data-label", heads[column] || "");
        }
        column += cell.colSpan || 1;
      });
    });
  });
}

// The side menu: groups open and close (remembered in this browser; the current page's group
// always open); on phones it is a drawer opened by ☰.
const MENU_KEY = "avrecords.menu.closed";

function closedGroups() {
  try {
    return new Set(JSON.parse(localStorage.getItem(MENU_KEY) || "[]"));
  } catch {
    return new Set();
  }
}

function setGroup(group, open) {
  group.classList.toggle("open", open);
  const head = group.querySelector(".menu-head");
  if (head) head.setAttribute("aria-expanded", String(open));
}

function setupMenu() {
  const closed = closedGroups();
  document.querySelectorAll("[data-menu-group]").forEach((group) => {
    if (closed.has(group.dataset.menuGroup) && !group.classList.contains("current")) {
      setGroup(group, false);
    }
  });
}

function setDrawer(open) {
  document.body.classList.toggle("menu-open", open);
  const toggle = document.querySelector("[data-menu-toggle]");
  if (toggle) toggle.setAttribute("aria-expanded", String(open));
  const scrim = document.querySelector("[data-menu-close]");
  if (scrim) scrim.hidden = !open;
}

document.addEventListener("click", (event) => {
  const head = event.target.closest(".menu-head");
  if (head) {
    const group = head.closest("[data-menu-group]");
    const open = !group.classList.contains("open");
    setGroup(group, open);
    const closed = closedGroups();
    if (open) closed.delete(group.dataset.menuGroup);
    else closed.add(group.dataset.menuGroup);
    try {
      localStorage.setItem(MENU_KEY, JSON.stringify(Array.from(closed)));
    } catch {
      // private mode: the state lasts for this page only
    }
    return;
  }
  if (event.target.closest("[data-menu-toggle]")) {
    setDrawer(!document.body.classList.contains("menu-open"));
    return;
  }
  if (event.target.closest("[data-menu-close]")) {
    setDrawer(false);
    return;
  }
  const dismiss = event.target.closest("[data-dismiss]");
  if (dismiss) {
    const message = dismiss.closest(".message");
    if (message) message.remove();
  }
});

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && document.body.classList.contains("menu-open")) setDrawer(false);
});

document.addEventListener("DOMContentLoaded", () => {
  setupMenu();
  labelTables(document);
});
// Tables that HTMX swaps in get their labels too.
document.addEventListener("htmx:afterSwap", (event) => labelTables(event.target));

// <button data-copy="#field">: copy that field's text (a token shown once, a configuration
// file) and say so on the button; where the clipboard is refused, select the text instead.
document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest("button[data-copy]");
  if (!button) return;
  const field = document.querySelector(button.dataset.copy);
  if (!field) return;
  const said = button.textContent;
  const done = () => {
    button.textContent = "已复制";
    setTimeout(() => (button.textContent = said), 2000);
  };
  field.select();
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, () => document.execCommand("copy") && done());
  } else if (document.execCommand("copy")) {
    done();
  }
});

// File fields speak Chinese whatever the browser's language: the native control (which says
// "Choose File / No file chosen" in an English browser) stays in the form, out of sight, and a
// button "选择文件" with the chosen file's name stands in for it. Without JavaScript the
// native control shows as before.
function chineseFilePickers(root) {
  root.querySelectorAll("input[type=file]:not([data-picker])").forEach((input) => {
    input.setAttribute("data-picker", "1");
    input.classList.add("file-native");
    input.tabIndex = -1;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "file-pick";
    button.textContent = input.multiple ? "选择文件（可多选）" : "选择文件";
    const name = document.createElement("span");
    name.className = "file-name muted";
    name.textContent = "未选择文件";
    const label = input.labels && input.labels[0];
    if (label) button.setAttribute("aria-label", label.textContent.trim());
    input.after(button, name);
    button.addEventListener("click", () => input.click());
    input.addEventListener("change", () => {
      const files = Array.from(input.files || []);
      name.textContent = !files.length
        ? "未选择文件"
        : files.length === 1
          ? files[0].name
          : `已选择 ${files.length} 个文件`;
    });
  });
}
document.addEventListener("DOMContentLoaded", () => chineseFilePickers(document));
document.addEventListener("htmx:afterSwap", (event) => chineseFilePickers(event.target));

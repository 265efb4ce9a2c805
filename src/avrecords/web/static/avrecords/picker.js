// Search-as-you-type pickers and the recordings list's selection (issue 17 §6). HTMX fetches
// the matches; this file turns a chosen match into a chip holding a hidden input, removes
// chips, and counts the rows ticked for a bulk action. No inline handlers: the CSP forbids them.
(() => {
  if (window.avrPickers) return; // the widget may load this file more than once on a page
  window.avrPickers = true;

  const reveal = (root) => {
    root.querySelectorAll(".picker-search[hidden]").forEach((el) => el.removeAttribute("hidden"));
    root.querySelectorAll("[data-bulk-bar]").forEach(count);
  };

  const chip = (name, pk, label) => {
    const span = document.createElement("span");
    span.className = "chip";
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = pk;
    const text = document.createElement("span");
    text.textContent = label;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "chip-remove";
    remove.setAttribute("aria-label", "移除 " + label);
    remove.textContent = "×";
    span.append(input, text, remove);
    return span;
  };

  const choose = (button) => {
    const picker = button.closest("[data-picker]");
    const chips = picker.querySelector(".picker-chips");
    const pk = button.dataset.pk;
    if (!picker.hasAttribute("data-multi")) chips.replaceChildren();
    const already = [...chips.querySelectorAll("input")].some((i) => i.value === pk);
    if (!already) chips.append(chip(picker.dataset.name, pk, button.dataset.label));
    picker.querySelector(".picker-results").replaceChildren();
    const search = picker.querySelector(".picker-search input");
    search.value = "";
    search.focus();
  };

  // The bulk bar: how many rows are ticked, and 全选.
  function count(bar) {
    const form = bar.closest("form");
    const n = form.querySelectorAll("input[data-bulk-item]:checked").length;
    bar.querySelectorAll("[data-bulk-count]").forEach((el) => (el.textContent = String(n)));
    bar.classList.toggle("has-selection", n > 0);
  }

  document.addEventListener("click", (event) => {
    const pick = event.target.closest(".picker-results [data-pk]");
    if (pick) {
      choose(pick);
      return;
    }
    const remove = event.target.closest("[data-picker] .chip-remove");
    if (remove) remove.closest(".chip").remove();
    // A click elsewhere closes the lists of matches it is not in.
    const inside = event.target.closest("[data-picker]");
    document.querySelectorAll("[data-picker] .picker-results").forEach((list) => {
      if (list.closest("[data-picker]") !== inside) list.replaceChildren();
    });
  });

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (!(target instanceof HTMLInputElement) || !target.form) return;
    if (target.matches("[data-bulk-all]")) {
      target.form.querySelectorAll("input[data-bulk-item], input[data-bulk-all]").forEach((box) => {
        box.checked = target.checked;
      });
    }
    if (target.matches("[data-bulk-all], [data-bulk-item]")) {
      target.form.querySelectorAll("[data-bulk-bar]").forEach(count);
    }
  });

  // Keys: ↓ from the search box to the matches, ↑/↓ between them, Esc closes the list.
  document.addEventListener("keydown", (event) => {
    const picker = event.target.closest && event.target.closest("[data-picker]");
    if (!picker) return;
    const results = [...picker.querySelectorAll(".picker-results [data-pk]")];
    if (event.key === "Escape") {
      picker.querySelector(".picker-results").replaceChildren();
      picker.querySelector(".picker-search input").focus();
      return;
    }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const at = results.indexOf(event.target);
    const next = event.key === "ArrowDown" ? at + 1 : at - 1;
    if (next >= 0 && next < results.length) {
      results[next].focus();
      event.preventDefault();
    } else if (next < 0 && at === 0) {
      picker.querySelector(".picker-search input").focus();
      event.preventDefault();
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => reveal(document));
  } else {
    reveal(document);
  }
  document.addEventListener("htmx:load", (event) => reveal(event.target));
})();

// Behaviour shared by every page, kept out of the HTML so the Content-Security-Policy can
// forbid inline scripts and event handlers (issue 15, row 13).
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

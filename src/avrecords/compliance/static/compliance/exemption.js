// The exemption form (U4): choosing a ground shows the legal basis it is stored with, read
// only; the server takes the basis from the ground, so nothing typed here is sent.
// <select data-basis-to="ID">: on change, #ID shows the chosen <option>'s data-basis.
document.addEventListener("change", (event) => {
  const select = event.target;
  if (!(select instanceof HTMLSelectElement) || !select.dataset.basisTo) return;
  const target = document.getElementById(select.dataset.basisTo);
  const option = select.selectedOptions[0];
  if (target) target.value = (option && option.dataset.basis) || "";
});

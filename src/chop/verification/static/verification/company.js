// Company verification: show only the fields of the chosen method.
//
// Progressive enhancement: the page arrives with every method's fields visible (and works so
// without JavaScript); this module hides the sections of the methods not chosen and follows the
// radio buttons. The server validates exactly as before, whatever is shown.

const form = document.getElementById("company-form");
if (form) {
  const radios = Array.from(form.querySelectorAll('input[name="method"]'));
  const sections = Array.from(form.querySelectorAll("[data-method-fields]"));
  const show = () => {
    const chosen = radios.find((r) => r.checked);
    for (const section of sections) {
      section.hidden = !chosen || section.dataset.methodFields !== chosen.value;
    }
  };
  radios.forEach((r) => r.addEventListener("change", show));
  show();
}

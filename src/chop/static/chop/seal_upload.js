// The seal upload form: the purpose text only matters for an "other" (custom) seal, so it is
// shown only when that kind is chosen. Without JavaScript the field simply stays visible.

const form = document.getElementById("upload-form");
if (form) {
  const kind = form.querySelector("select[name=kind]");
  const purpose = form.querySelector("[data-purpose-field]");
  if (kind && purpose) {
    const sync = () => {
      const custom = kind.value === "custom";
      purpose.hidden = !custom;
      const input = purpose.querySelector("input");
      if (input) input.required = custom;
    };
    kind.addEventListener("change", sync);
    sync();
  }
}

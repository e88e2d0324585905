// The seal studio's live preview (issue 10 §2). While someone types, the form's fields go (debounced)
// to GET preview.svg as a query; the server draws the seal. A 200 becomes the <img>'s source (the
// browser cache already holds it: private, max-age, ETag), a 422 carries {field: message} shown
// beside each field. The SVG is never inserted into the page as markup. Without this module the
// form still works: "Update preview" posts it and the server renders the same preview and errors.
const DELAY_MS = 250;
const SKIP = new Set(["csrfmiddlewaretoken", "token", "action"]);

const form = document.getElementById("studio-form");
const img = document.getElementById("studio-preview");
const status = document.getElementById("studio-status");

function query() {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData(form)) {
    if (!SKIP.has(name) && value !== "") params.append(name, value);
  }
  return params.toString();
}

function showErrors(errors) {
  for (const box of form.querySelectorAll("[data-error-for]")) {
    const field = box.dataset.errorFor;
    const message = errors[field];
    const wrapper = box.closest(".field");
    const input = wrapper && wrapper.querySelector("input, select, textarea");
    box.textContent = message || "";
    box.hidden = !message;
    if (wrapper) wrapper.classList.toggle("has-error", Boolean(message));
    if (input) {
      if (message) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
  }
  const general = Object.entries(errors)
    .filter(([field]) => !form.querySelector(`[data-error-for="${CSS.escape(field)}"]`))
    .map(([, message]) => message);
  let alert = form.querySelector(".form-alert[data-live]");
  if (general.length) {
    if (!alert) {
      alert = document.createElement("div");
      alert.className = "form-alert";
      alert.dataset.live = "";
      alert.setAttribute("role", "alert");
      form.querySelector(".studio-controls").prepend(alert);
    }
    alert.textContent = general.join(" ");
  } else if (alert) {
    alert.remove();
  }
}

let timer = 0;
let latest = 0;
let shown = img ? img.dataset.query || "" : ""; // the query whose answer (picture or errors) is on screen

async function refresh() {
  const q = query();
  if (q === shown) return;
  const mine = ++latest;
  const url = `${form.dataset.previewUrl}?${q}`;
  form.setAttribute("aria-busy", "true");
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin", headers: { Accept: "image/svg+xml, application/json" } });
  } catch {
    return; // offline for a moment: the next keystroke tries again
  } finally {
    if (mine === latest) form.removeAttribute("aria-busy");
  }
  if (mine !== latest) return; // an older answer arriving late must not win
  shown = q;
  if (response.ok) {
    showErrors({});
    img.src = url; // same URL: served from the browser cache the fetch just filled
    img.hidden = false;
    img.classList.remove("stale");
    img.dataset.query = q;
    status.textContent = status.dataset.ok;
  } else if (response.status === 422) {
    const errors = await response.json();
    if (mine !== latest) return;
    showErrors(errors);
    img.classList.add("stale");
    status.textContent = status.dataset.bad;
  }
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(refresh, DELAY_MS);
}

if (form && img) {
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  form.classList.add("live");
}

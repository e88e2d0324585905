// Stamping-records export with visible progress.
//
// Without JavaScript the export buttons are plain download links (the server streams the file).
// With it, the file is fetched here so the page can say what is happening: "preparing" until the
// first bytes arrive, then the records received out of the X-Total-Count header (CSV: one line
// each) or the kilobytes received (XLSX: compressed, so its rows cannot be counted on the way),
// then the finished file is handed to the browser as a download.

const status = document.querySelector("[data-export-status]");

function say(template, values) {
  let text = template;
  for (const [key, value] of Object.entries(values || {})) {
    text = text.replace(`%(${key})s`, String(value));
  }
  status.textContent = text;
}

function filenameFrom(response, fallback) {
  const header = response.headers.get("Content-Disposition") || "";
  const match = header.match(/filename="?([^";]+)"?/);
  return match ? match[1] : fallback;
}

async function download(link) {
  const kind = link.dataset.export;
  const buttons = document.querySelectorAll("[data-export]");
  buttons.forEach((b) => b.setAttribute("aria-disabled", "true"));
  say(status.dataset.preparing);
  try {
    const response = await fetch(link.href, { credentials: "same-origin" });
    if (!response.ok || !response.body) throw new Error(String(response.status));
    const total = Number(response.headers.get("X-Total-Count") || 0);
    const reader = response.body.getReader();
    const parts = [];
    let bytes = 0;
    let lines = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      bytes += value.length;
      if (kind === "csv") {
        for (let i = 0; i < value.length; i += 1) if (value[i] === 10) lines += 1;
        say(status.dataset.progressRows, { done: Math.max(0, lines - 1), total });
      } else {
        say(status.dataset.progressBytes, { done: Math.round(bytes / 1024), total });
      }
    }
    const name = filenameFrom(response, `stamp-records.${kind}`);
    const url = URL.createObjectURL(new Blob(parts, { type: response.headers.get("Content-Type") || "" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    say(status.dataset.done, { name });
  } catch (err) {
    say(status.dataset.failed);
  } finally {
    buttons.forEach((b) => b.removeAttribute("aria-disabled"));
  }
}

if (status && window.ReadableStream) {
  document.querySelectorAll("[data-export]").forEach((link) => {
    link.addEventListener("click", (event) => {
      if (link.getAttribute("aria-disabled") === "true") {
        event.preventDefault();
        return;
      }
      event.preventDefault();
      download(link);
    });
  });
}

// Page previews measured in millimetres: each page's element carries its displayed size in mm
// (data-w-mm, data-h-mm, from the server), and boxes are placed on it in per cent of that size,
// so nothing depends on the preview image's pixels. Shared by the positions editor and the
// signing page.

export function pageSize(el) {
  return { w: parseFloat(el.dataset.wMm), h: parseFloat(el.dataset.hMm) };
}

export function pct(value, total) {
  return `${(100 * value) / total}%`;
}

// Put ``box`` at (x, y) mm from the page's top-left corner, w × h mm large.
export function placeMm(box, el, x, y, w, h) {
  const size = pageSize(el);
  box.style.left = pct(x, size.w);
  box.style.top = pct(y, size.h);
  box.style.width = pct(w, size.w);
  box.style.height = pct(h, size.h);
}

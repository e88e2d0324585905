// The signing page: shows the chosen seal in its designated places, and lets a non-designated
// party place it (tap or click a page, drag to adjust, arrow keys nudge, Delete removes).
// Positions are kept in displayed-page millimetres from the top-left, the engine's coordinates,
// and posted as JSON in the form's hidden "free" field.

import { pageSize, placeMm } from "./page-mm.js";

const form = document.querySelector('[data-testid="sign-form"]');
const sheets = [...document.querySelectorAll(".sign-sheet")];
const list = document.querySelector(".sign-sheets");
const freeInput = form ? form.querySelector("[data-free-input]") : null;
const freeMode = list && list.dataset.free === "1";
const MAX_MARKS = 20;
const STEP_MM = 1;
const BIG_STEP_MM = 5;

function chosenSeal() {
  const radio = form && form.querySelector('input[name="seal"]:checked');
  if (!radio) return null;
  return {
    id: radio.value,
    src: radio.dataset.src,
    w: parseFloat(radio.dataset.wMm) || 40,
    h: parseFloat(radio.dataset.hMm) || 40,
  };
}

function sealImage(seal) {
  const img = document.createElement("img");
  img.src = seal.src;
  img.alt = "";
  img.draggable = false;
  return img;
}

// --- designated places ---------------------------------------------------------------------

function showDesignated() {
  const seal = chosenSeal();
  for (const sheet of sheets) {
    for (const box of sheet.querySelectorAll(".sign-box:not(.free)")) {
      const mine = seal && box.dataset.seal === seal.id;
      box.classList.toggle("shown", Boolean(mine));
      box.replaceChildren();
      if (!mine) continue;
      placeMm(box, sheet, +box.dataset.x, +box.dataset.y, +box.dataset.w, +box.dataset.h);
      const img = sealImage(seal);
      if (box.classList.contains("riding")) {
        // the strip shows its slice of the seal, as the engine cuts it
        const w = +box.dataset.w;
        const h = +box.dataset.h;
        img.style.width = `${(100 * +box.dataset.sw) / w}%`;
        img.style.height = `${(100 * +box.dataset.sh) / h}%`;
        img.style.left = `${(-100 * +box.dataset.sx) / w}%`;
        img.style.top = `${(-100 * +box.dataset.sy) / h}%`;
      }
      box.append(img);
    }
  }
}

// --- free placement ------------------------------------------------------------------------

let marks = [];

function load() {
  try {
    const data = JSON.parse((freeInput && freeInput.value) || "[]");
    marks = Array.isArray(data) ? data.slice(0, MAX_MARKS) : [];
  } catch {
    marks = [];
  }
}

function save() {
  if (freeInput) freeInput.value = JSON.stringify(marks.map((m) => ({ page: m.page, x_mm: round(m.x_mm), y_mm: round(m.y_mm) })));
}

function round(v) {
  return Math.round(v * 10) / 10;
}

function clamp(mark, seal) {
  const sheet = sheets.find((s) => +s.dataset.page === mark.page);
  if (!sheet) return;
  const size = pageSize(sheet);
  mark.x_mm = Math.min(Math.max(mark.x_mm, 0), Math.max(size.w - seal.w, 0));
  mark.y_mm = Math.min(Math.max(mark.y_mm, 0), Math.max(size.h - seal.h, 0));
}

function drawFree(focusIndex) {
  const seal = chosenSeal();
  for (const old of document.querySelectorAll(".sign-box.free")) old.remove();
  if (!seal) return;
  marks.forEach((mark, index) => {
    const sheet = sheets.find((s) => +s.dataset.page === mark.page);
    if (!sheet) return;
    clamp(mark, seal);
    const box = document.createElement("span");
    box.className = "sign-box free";
    box.tabIndex = 0;
    box.dataset.index = String(index);
    box.setAttribute("data-testid", "free-mark");
    box.setAttribute("role", "button");
    box.setAttribute("aria-describedby", "free-help");
    box.setAttribute("aria-label", `${list.dataset.labelSeal} ${index + 1}`);
    box.append(sealImage(seal));
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove secondary";
    remove.textContent = "×";
    remove.setAttribute("aria-label", list.dataset.labelRemove);
    remove.addEventListener("click", (event) => {
      event.stopPropagation();
      marks.splice(index, 1);
      save();
      drawFree();
    });
    box.append(remove);
    placeMm(box, sheet, mark.x_mm, mark.y_mm, seal.w, seal.h);
    attachDrag(box, sheet, mark, seal);
    box.addEventListener("keydown", (event) => nudge(event, index, seal));
    sheet.append(box);
    if (index === focusIndex) box.focus();
  });
  save();
}

function nudge(event, index, seal) {
  const mark = marks[index];
  const step = event.shiftKey ? BIG_STEP_MM : STEP_MM;
  const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
  if (event.key in moves) {
    event.preventDefault();
    mark.x_mm += moves[event.key][0];
    mark.y_mm += moves[event.key][1];
    clamp(mark, seal);
    drawFree(index);
  } else if (event.key === "Delete" || event.key === "Backspace") {
    event.preventDefault();
    marks.splice(index, 1);
    drawFree();
  }
}

function attachDrag(box, sheet, mark, seal) {
  let start = null;
  box.addEventListener("pointerdown", (event) => {
    if (event.target.closest(".remove")) return;
    event.preventDefault();
    box.setPointerCapture(event.pointerId);
    box.classList.add("dragging");
    start = { x: event.clientX, y: event.clientY, mx: mark.x_mm, my: mark.y_mm };
  });
  box.addEventListener("pointermove", (event) => {
    if (!start) return;
    const rect = sheet.getBoundingClientRect();
    const size = pageSize(sheet);
    mark.x_mm = start.mx + ((event.clientX - start.x) * size.w) / rect.width;
    mark.y_mm = start.my + ((event.clientY - start.y) * size.h) / rect.height;
    clamp(mark, seal);
    placeMm(box, sheet, mark.x_mm, mark.y_mm, seal.w, seal.h);
  });
  const end = () => {
    if (!start) return;
    start = null;
    box.classList.remove("dragging");
    save();
  };
  box.addEventListener("pointerup", end);
  box.addEventListener("pointercancel", end);
}

function addAt(sheet, event) {
  const seal = chosenSeal();
  if (!seal || marks.length >= MAX_MARKS) return;
  const rect = sheet.getBoundingClientRect();
  const size = pageSize(sheet);
  const x = ((event.clientX - rect.left) * size.w) / rect.width - seal.w / 2;
  const y = ((event.clientY - rect.top) * size.h) / rect.height - seal.h / 2;
  const mark = { page: +sheet.dataset.page, x_mm: x, y_mm: y };
  marks.push(mark);
  drawFree(marks.length - 1);
}

if (form) {
  showDesignated();
  if (freeMode) {
    load();
    drawFree();
    for (const sheet of sheets) {
      sheet.querySelector("img").addEventListener("click", (event) => addAt(sheet, event));
    }
  }
  for (const radio of form.querySelectorAll('input[name="seal"]')) {
    radio.addEventListener("change", () => {
      showDesignated();
      if (freeMode) drawFree();
    });
  }
  // Choosing a way to confirm: typing in a box picks its method.
  const pick = (value) => {
    const radio = form.querySelector(`input[name="method"][value="${value}"]`);
    if (radio) radio.checked = true;
  };
  const password = form.querySelector('input[name="password"]');
  if (password) password.addEventListener("input", () => pick("password"));
  const code = form.querySelector('input[name="code"]');
  const codeRadio = form.querySelector('input[name="method"]:not([value="password"])');
  if (code && codeRadio) code.addEventListener("input", () => { codeRadio.checked = true; });
}

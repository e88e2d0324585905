// The positions editor: each party's seal boxes on the page previews, moved with pointer events
// (mouse, pen, touch), nudged with the keyboard, snapped to a 1 mm grid, the page's centre line
// and its margins. Every change is sent to the server, which checks it again and answers with the
// stored positions; what is drawn is always what the server holds. Boxes are placed in per cent of
// the page, from the page's displayed size in mm (data-w-mm, data-h-mm): no assumption about the
// preview image's pixels. Without this module the panel's numbers are a plain form.

import { pageSize, pct, placeMm } from "./page-mm.js";

const MARGIN_MM = 20; // a usual contract page margin: one of the snapping lines
const SNAP_MM = 2; // how close to a line a box must come to stick to it
const DRAG_START_PX = 5;

const root = document.getElementById("pos-editor");
const dataEl = document.getElementById("positions-data");
const strings = document.getElementById("pos-strings")?.dataset || {};
const form = document.getElementById("position-form");

const editor = JSON.parse(dataEl.textContent);
let positions = editor.positions;
let selected = form ? Number(form.elements.position.value) || null : null;
let saveTimer = 0;

const pages = new Map();
for (const el of root.querySelectorAll(".pos-page")) {
  pages.set(Number(el.dataset.page), el);
}

function pxPerMm(el) {
  return el.getBoundingClientRect().width / pageSize(el).w;
}

function round1(v) {
  return Math.round(v * 10) / 10;
}

function clamp(v, lo, hi) {
  return Math.min(Math.max(v, lo), Math.max(lo, hi));
}

function find(id) {
  return positions.find((p) => p.id === id) || null;
}

// --- drawing ------------------------------------------------------------------------------------

function place(box, el, b) {
  placeMm(box, el, b.x_mm, b.y_mm, b.w_mm, b.h_mm);
}

function render() {
  for (const el of pages.values()) el.querySelector(".pos-layer").replaceChildren();
  for (const p of positions) {
    p.boxes.forEach((b, i) => {
      const el = pages.get(b.page);
      if (!el) return;
      const box = document.createElement("div");
      box.className = `pos-box pos-c${p.colour}`;
      if (p.form === "keyword" || !editor.canPlace) box.classList.add("pos-fixed");
      if (p.form === "riding") box.classList.add("pos-riding");
      if (p.id === selected) box.classList.add("pos-selected");
      box.dataset.position = p.id;
      box.dataset.index = i;
      box.tabIndex = i === 0 || p.id === selected ? 0 : -1;
      box.setAttribute("role", "button");
      box.setAttribute("aria-label", `${p.party}: ${p.label}`);
      box.title = `${p.party}: ${p.label}`;
      if (p.form !== "riding") {
        const tag = document.createElement("span");
        tag.textContent = p.party;
        if (p.with_date) {
          const d = document.createElement("b");
          d.textContent = ` · ${strings.date || "date"}`;
          tag.append(d);
        }
        box.append(tag);
      }
      place(box, el, b);
      el.querySelector(".pos-layer").append(box);
    });
  }
  renderList();
}

// The list beside the pages, rebuilt from what the server holds after each change.
function renderList() {
  for (const row of document.querySelectorAll(".pos-party-row[data-party]")) {
    const mine = positions.filter((p) => p.participant === Number(row.dataset.party));
    row.querySelector(".pos-none").hidden = mine.length > 0;
    const items = mine.map((p) => {
      const li = document.createElement("li");
      li.className = "pos-item";
      li.dataset.position = p.id;
      li.classList.toggle("pos-selected", p.id === selected);
      const text = document.createElement("span");
      text.className = "small";
      text.textContent = p.label;
      li.append(text);
      if (editor.canPlace && form) {
        const del = document.createElement("button");
        del.type = "button";
        del.className = "link small";
        del.textContent = strings.remove || "Remove";
        del.addEventListener("click", () => remove(p.id));
        li.append(del);
        li.addEventListener("click", (e) => {
          if (e.target.closest("button")) return;
          select(p.id);
          root.querySelector(`.pos-box[data-position="${p.id}"]`)?.scrollIntoView({ block: "center" });
        });
      }
      return li;
    });
    row.querySelector(".pos-items").replaceChildren(...items);
  }
}

// --- the panel ----------------------------------------------------------------------------------

function currentForm() {
  return form ? form.querySelector("input[name=form]:checked")?.value || "single" : "single";
}

function showGroups() {
  if (!form) return;
  const kind = currentForm();
  for (const g of form.querySelectorAll(".pos-group")) {
    g.hidden = !g.dataset.for.split(" ").includes(kind);
  }
}

function setField(name, value) {
  const input = form.elements[name];
  if (!input) return;
  if (input.type === "checkbox") input.checked = Boolean(value);
  else input.value = value === null || value === undefined ? "" : String(value);
}

function fill(p) {
  if (!form) return;
  setField("position", p ? p.id : "");
  const party = form.elements.participant;
  party.disabled = false; // another party while a position is selected starts a new position
  if (p) {
    party.value = String(p.participant);
    for (const r of form.querySelectorAll("input[name=form]")) r.checked = r.value === p.form;
    for (const name of ["page", "pages", "x_mm", "y_mm", "edge", "along_mm", "keyword"]) {
      if (name in p) setField(name, p[name]);
    }
    setField("occurrence", p.occurrence || "first");
    setField("dx_mm", p.dx_mm || 0);
    setField("dy_mm", p.dy_mm || 0);
    setField("size_mm", p.size_mm);
    setField("with_date", p.with_date);
  } else {
    // A new position starts at its party's default width: the field may still hold the width
    // of the position shown before (a person's signature would otherwise get a company seal's).
    setField("size_mm", "");
  }
  showGroups();
}

function select(id) {
  selected = id;
  fill(find(id));
  render();
  const box = root.querySelector(`.pos-box[data-position="${id}"]`);
  if (box && document.activeElement?.classList?.contains("pos-box") === false) box.focus();
}

function values() {
  const data = Object.fromEntries(new FormData(form));
  data.with_date = form.elements.with_date.checked;
  data.participant = form.elements.participant.value;
  data.position = form.elements.position.value || null;
  data.action = "save";
  return data;
}

function showError(message) {
  const alert = form?.querySelector(".form-alert");
  if (!alert) return;
  alert.textContent = message || "";
  alert.hidden = !message;
}

function status(message) {
  const out = form?.querySelector("[data-testid=pos-status]");
  if (out) out.textContent = message || "";
}

async function post(body) {
  const token = form.elements.csrfmiddlewaretoken.value;
  const resp = await fetch(editor.save, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  let json = {};
  try {
    json = await resp.json();
  } catch {
    json = { error: strings.failed };
  }
  return { ok: resp.ok, json };
}

async function save(data) {
  showError("");
  let answer;
  try {
    answer = await post(data);
  } catch {
    showError(strings.failed);
    render();
    return false;
  }
  if (!answer.ok) {
    showError(answer.json.error || strings.failed);
    render(); // the boxes go back to where the server has them
    return false;
  }
  positions = answer.json.positions;
  if (answer.json.position) selected = answer.json.position;
  for (const old of root.querySelectorAll(".pos-hit, .pos-preview")) old.remove();
  fill(find(selected));
  render();
  root.dataset.saved = String(Date.now());
  status(strings.saved);
  return true;
}

async function remove(id) {
  const answer = await post({ action: "delete", position: id }).catch(() => null);
  if (!answer || !answer.ok) {
    showError(answer?.json?.error || strings.failed);
    return;
  }
  positions = answer.json.positions;
  selected = null;
  fill(null);
  render();
  status(strings.removed);
}

// --- snapping -----------------------------------------------------------------------------------

function guides(el, lines) {
  const layer = el.querySelector(".pos-layer");
  for (const g of layer.querySelectorAll(".pos-guide")) g.remove();
  const { w, h } = pageSize(el);
  for (const [axis, mm] of lines) {
    const g = document.createElement("div");
    g.className = `pos-guide ${axis}`;
    if (axis === "v") g.style.left = pct(mm, w);
    else g.style.top = pct(mm, h);
    layer.append(g);
  }
}

function clearGuides() {
  for (const g of root.querySelectorAll(".pos-guide")) g.remove();
}

// One axis: the box's start (left or top) on a page `length` mm long, the box `size` mm.
function snapAxis(start, size, length, axis, lines) {
  const targets = [
    [length / 2 - size / 2, length / 2], // centred on the page's centre line
    [MARGIN_MM, MARGIN_MM],
    [length - MARGIN_MM - size, length - MARGIN_MM],
    [0, null],
    [length - size, null],
  ];
  for (const [t, line] of targets) {
    if (Math.abs(start - t) <= SNAP_MM) {
      if (line !== null) lines.push([axis, line]);
      return round1(t);
    }
  }
  return Math.round(start); // the 1 mm grid
}

// --- dragging boxes -----------------------------------------------------------------------------

let drag = null;

function pageAt(x, y) {
  return document.elementsFromPoint(x, y).find((e) => e.classList?.contains("pos-page")) || null;
}

function onBoxDown(e) {
  const touched = e.target.closest(".pos-box");
  if (!touched || e.button > 0) return;
  const p = find(Number(touched.dataset.position));
  if (!p) return;
  const index = touched.dataset.index;
  if (selected !== p.id) select(p.id); // draws the boxes again: look the box up afresh
  const box = root.querySelector(`.pos-box[data-position="${p.id}"][data-index="${index}"]`);
  if (!box || box.classList.contains("pos-fixed")) return;
  e.preventDefault();
  const el = box.closest(".pos-page");
  const scale = pxPerMm(el);
  const rect = box.getBoundingClientRect();
  const b = p.boxes[Number(index)];
  drag = {
    p,
    box,
    page: el,
    startX: e.clientX,
    startY: e.clientY,
    grabX: (e.clientX - rect.left) / scale,
    grabY: (e.clientY - rect.top) / scale,
    moved: false,
    b,
    next: null,
  };
  drag.box.setPointerCapture(e.pointerId);
  drag.box.classList.add("pos-dragging");
}

function onBoxMove(e) {
  if (!drag) return;
  if (!drag.moved && Math.hypot(e.clientX - drag.startX, e.clientY - drag.startY) < DRAG_START_PX) {
    return;
  }
  drag.moved = true;
  const { p, b } = drag;
  const over = p.form === "single" ? pageAt(e.clientX, e.clientY) || drag.page : drag.page;
  const { w, h } = pageSize(over);
  const rect = over.getBoundingClientRect();
  const scale = rect.width / w;
  const mx = (e.clientX - rect.left) / scale;
  const my = (e.clientY - rect.top) / scale;
  const lines = [];
  if (p.form === "riding") {
    const vertical = p.edge === "right" || p.edge === "left" || !p.edge;
    const length = vertical ? h : w;
    // the strip's start follows the pointer as grabbed; the seal's centre is half a seal further
    const start = vertical ? my - drag.grabY : mx - drag.grabX;
    const along = clamp(Math.round(start + p.size_mm / 2), p.size_mm / 2, length - p.size_mm / 2);
    drag.next = { along_mm: along };
    for (const other of root.querySelectorAll(`.pos-box[data-position="${p.id}"]`)) {
      const ob = p.boxes[Number(other.dataset.index)];
      const moved = vertical ? { ...ob, y_mm: along - p.size_mm / 2 } : { ...ob, x_mm: along - p.size_mm / 2 };
      place(other, other.closest(".pos-page"), moved);
    }
    return;
  }
  let x = clamp(mx - drag.grabX, 0, w - b.w_mm);
  let y = clamp(my - drag.grabY, 0, h - b.h_mm);
  x = snapAxis(x, b.w_mm, w, "v", lines);
  y = snapAxis(y, b.h_mm, h, "h", lines);
  drag.next = { x_mm: x, y_mm: y, page: Number(over.dataset.page) };
  if (p.form === "single" && over !== drag.box.closest(".pos-page")) {
    over.querySelector(".pos-layer").append(drag.box);
    drag.box.setPointerCapture(e.pointerId);
  }
  const boxes = p.form === "multi" ? root.querySelectorAll(`.pos-box[data-position="${p.id}"]`) : [drag.box];
  for (const one of boxes) place(one, one.closest(".pos-page"), { ...b, x_mm: x, y_mm: y });
  clearGuides();
  guides(over, lines);
  if (form) {
    setField("x_mm", x);
    setField("y_mm", y);
    if (p.form === "single") setField("page", drag.next.page);
  }
}

function onBoxUp() {
  if (!drag) return;
  const { p, moved, next } = drag;
  drag.box.classList.remove("pos-dragging");
  drag = null;
  clearGuides();
  if (!moved || !next || !form) return;
  fill(p);
  for (const [k, v] of Object.entries(next)) setField(k, v);
  save(values());
}

// --- keyboard -----------------------------------------------------------------------------------

const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

function onKey(e) {
  const box = e.target.closest?.(".pos-box");
  if (!box || !form) return;
  const p = find(Number(box.dataset.position));
  if (!p) return;
  if (e.key === "Enter" || e.key === " ") {
    e.preventDefault();
    select(p.id);
    return;
  }
  if (!editor.canPlace) return;
  if (e.key === "Delete" || e.key === "Backspace") {
    e.preventDefault();
    remove(p.id);
    return;
  }
  const step = ARROWS[e.key];
  if (!step || p.form === "keyword") return;
  e.preventDefault();
  if (selected !== p.id) select(p.id);
  const d = e.shiftKey ? 5 : 1;
  if (p.form === "riding") {
    const vertical = p.edge === "right" || p.edge === "left" || !p.edge;
    const el = pages.get(p.boxes[0]?.page);
    if (!el) return;
    const { w, h } = pageSize(el);
    const length = vertical ? h : w;
    const current = p.along_mm ?? length / 2;
    const along = clamp(current + d * (vertical ? step[1] : step[0]), p.size_mm / 2, length - p.size_mm / 2);
    p.along_mm = along;
    p.boxes = p.boxes.map((b) => (vertical ? { ...b, y_mm: along - p.size_mm / 2 } : { ...b, x_mm: along - p.size_mm / 2 }));
  } else {
    const el = pages.get(p.boxes[0]?.page);
    if (!el) return;
    const { w, h } = pageSize(el);
    const b = p.boxes[0];
    p.x_mm = round1(clamp(p.x_mm + d * step[0], 0, w - b.w_mm));
    p.y_mm = round1(clamp(p.y_mm + d * step[1], 0, h - b.h_mm));
    p.boxes = p.boxes.map((one) => ({ ...one, x_mm: p.x_mm, y_mm: p.y_mm }));
  }
  fill(p);
  render();
  root.querySelector(`.pos-box[data-position="${p.id}"]`)?.focus();
  clearTimeout(saveTimer);
  saveTimer = setTimeout(() => save(values()), 450);
}

// --- new positions: drop the placeholder, or tap a page ------------------------------------------

let chip = null;

function sizeNow() {
  const v = parseFloat(form.elements.size_mm.value);
  if (v > 0) return v;
  return parseFloat(form.elements.participant.selectedOptions[0]?.dataset.size || "40");
}

function placeAt(el, clientX, clientY) {
  const { w, h } = pageSize(el);
  const rect = el.getBoundingClientRect();
  const scale = rect.width / w;
  // a width typed for this new seal stays; one shown for a selected position does not carry over
  if (selected !== null) setField("size_mm", "");
  const typed = form.elements.size_mm.value;
  const size = sizeNow();
  const height = size + (form.elements.with_date.checked ? 4.5 : 0);
  const lines = [];
  const x = snapAxis(clamp((clientX - rect.left) / scale - size / 2, 0, w - size), size, w, "v", lines);
  const y = snapAxis(clamp((clientY - rect.top) / scale - height / 2, 0, h - height), height, h, "h", lines);
  selected = null;
  fill(null);
  setField("size_mm", typed);
  if (!["single", "multi"].includes(currentForm())) {
    for (const r of form.querySelectorAll("input[name=form]")) r.checked = r.value === "single";
    showGroups();
  }
  setField("page", el.dataset.page);
  setField("x_mm", x);
  setField("y_mm", y);
  setPlacing(false);
  save(values());
}

function setPlacing(on) {
  root.classList.toggle("pos-placing", on);
  form?.querySelector("[data-action=place]")?.setAttribute("aria-pressed", on ? "true" : "false");
  if (on) status(strings.placing);
}

function onChipDown(e) {
  const button = e.target.closest("[data-action=place]");
  if (!button || e.button > 0) return;
  chip = { startX: e.clientX, startY: e.clientY, ghost: null };
  button.setPointerCapture(e.pointerId);
}

function onChipMove(e) {
  if (!chip) return;
  if (!chip.ghost) {
    if (Math.hypot(e.clientX - chip.startX, e.clientY - chip.startY) < DRAG_START_PX) return;
    chip.ghost = document.createElement("div");
    chip.ghost.className = "pos-ghost";
    const first = pages.values().next().value;
    const px = first ? sizeNow() * pxPerMm(first) : 100;
    chip.ghost.style.width = `${px}px`;
    chip.ghost.style.height = `${px}px`;
    document.body.append(chip.ghost);
  }
  const size = chip.ghost.getBoundingClientRect().width;
  chip.ghost.style.left = `${e.clientX - size / 2}px`;
  chip.ghost.style.top = `${e.clientY - size / 2}px`;
  for (const el of pages.values()) el.classList.remove("pos-drop");
  pageAt(e.clientX, e.clientY)?.classList.add("pos-drop");
}

function onChipUp(e) {
  if (!chip) return;
  const { ghost } = chip;
  chip = null;
  for (const el of pages.values()) el.classList.remove("pos-drop");
  if (!ghost) {
    setPlacing(!root.classList.contains("pos-placing"));
    return;
  }
  ghost.remove();
  const el = pageAt(e.clientX, e.clientY);
  if (el) placeAt(el, e.clientX, e.clientY);
}

function onPageClick(e) {
  if (!root.classList.contains("pos-placing") || e.target.closest(".pos-box")) return;
  const el = e.target.closest(".pos-page");
  if (el) placeAt(el, e.clientX, e.clientY);
}

// --- keyword search -----------------------------------------------------------------------------

async function findKeyword() {
  const out = form.querySelector("[data-testid=find-result]");
  for (const old of root.querySelectorAll(".pos-hit, .pos-preview")) old.remove();
  const q = new URLSearchParams({
    keyword: form.elements.keyword.value,
    occurrence: form.elements.occurrence.value,
    dx_mm: form.elements.dx_mm.value || "0",
    dy_mm: form.elements.dy_mm.value || "0",
    size_mm: String(sizeNow()),
  });
  let json;
  try {
    const resp = await fetch(`${editor.find}?${q}`, { headers: { Accept: "application/json" } });
    json = await resp.json();
  } catch {
    out.textContent = strings.failed;
    return;
  }
  out.textContent = json.message;
  root.dataset.hits = String(json.count);
  for (const hit of json.hits) {
    const el = pages.get(hit.page);
    if (!el) continue;
    const mark = document.createElement("div");
    mark.className = "pos-hit";
    mark.title = strings.hit || "";
    place(mark, el, hit);
    el.querySelector(".pos-layer").append(mark);
  }
  for (const seal of json.seals) {
    const el = pages.get(seal.page);
    if (!el) continue;
    const mark = document.createElement("div");
    mark.className = "pos-preview";
    place(mark, el, { ...seal, w_mm: seal.size_mm, h_mm: seal.size_mm });
    el.querySelector(".pos-layer").append(mark);
  }
  if (json.hits.length) pages.get(json.hits[0].page)?.scrollIntoView({ block: "center" });
}

// --- wiring -------------------------------------------------------------------------------------

root.classList.add("pos-editor-js");
for (const el of document.querySelectorAll(".pos-js-only")) el.hidden = false; // need this module
render();
showGroups();
root.addEventListener("pointerdown", onBoxDown);
root.addEventListener("pointermove", onBoxMove);
root.addEventListener("pointerup", onBoxUp);
root.addEventListener("pointercancel", onBoxUp);
root.addEventListener("keydown", onKey);
root.addEventListener("click", onPageClick);
if (form) {
  const chipButton = form.querySelector("[data-action=place]");
  chipButton.addEventListener("pointerdown", onChipDown);
  chipButton.addEventListener("pointermove", onChipMove);
  chipButton.addEventListener("pointerup", onChipUp);
  chipButton.addEventListener("pointercancel", () => {
    chip?.ghost?.remove();
    chip = null;
  });
  form.elements.participant.disabled = false;
  form.addEventListener("change", (e) => {
    if (e.target.name === "form") showGroups();
    if (e.target.name === "participant" && selected !== null) {
      const party = e.target.value;
      selected = null;
      fill(null);
      e.target.value = party;
      render();
    }
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    save(values());
  });
  form.querySelector("[data-action=find]").addEventListener("click", findKeyword);
  form.querySelector("[data-action=new]").addEventListener("click", (e) => {
    e.preventDefault();
    selected = null;
    fill(null);
    showError("");
    render();
  });
}

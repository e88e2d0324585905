// The handwritten-signature pad (扫码签名): a canvas that takes pointer events (finger, pen,
// mouse), draws smooth strokes whose width follows the speed, and uploads a transparent PNG
// cropped to the ink.
//
// Every element with [data-signature-pad] gets one. Strokes are kept as points in CSS pixels and
// drawn at devicePixelRatio (the canvas has ratio× more pixels than its box), so lines stay
// sharp on a phone and can be redrawn after Undo or a rotation. Each segment is a quadratic
// curve from the midpoint of the previous two points to the midpoint of the next two, with the
// point between them as control: the line passes smoothly through the middle of the samples
// instead of joining them with corners. Faster movement draws thinner, as ink does.
//
// The server checks and crops the PNG again (seals/signatures.py): this side only saves bytes.

const MIN_WIDTH = 1.1; // CSS px, fast strokes
const MAX_WIDTH = 4.6; // CSS px, slow strokes
const SPEED_SMOOTHING = 0.65; // share of the previous speed kept per sample
const WIDTH_SMOOTHING = 0.55; // share of the previous width kept per sample
const INK = "#1b1f2a";
const MARGIN = 0.04; // transparent border around the cropped ink, share of the longer side

class SignaturePad {
  constructor(root) {
    this.root = root;
    this.canvas = root.querySelector("canvas");
    this.ctx = this.canvas.getContext("2d");
    this.form = root.querySelector("form");
    this.status = root.querySelector("[data-pad-status]");
    this.done = root.querySelector("[data-pad-done]");
    this.undoButton = root.querySelector('[data-action="undo"]');
    this.clearButton = root.querySelector('[data-action="clear"]');
    this.submitButton = root.querySelector('[data-action="submit"]');
    this.strokes = [];
    this.current = null;
    this.pointerId = null;
    this.ratio = 1;
    this.width = 0;

    this.canvas.addEventListener("pointerdown", (e) => this.down(e));
    this.canvas.addEventListener("pointermove", (e) => this.move(e));
    this.canvas.addEventListener("pointerup", (e) => this.up(e));
    this.canvas.addEventListener("pointercancel", (e) => this.up(e));
    this.undoButton.addEventListener("click", () => this.undo());
    this.clearButton.addEventListener("click", () => this.clear());
    this.form.addEventListener("submit", (e) => this.submit(e));
    new ResizeObserver(() => this.resize()).observe(this.canvas);
    this.resize();
  }

  // --- geometry -------------------------------------------------------------------------------
  resize() {
    const box = this.canvas.getBoundingClientRect();
    if (!box.width || !box.height) return;
    const ratio = Math.max(1, window.devicePixelRatio || 1);
    const w = Math.round(box.width * ratio);
    const h = Math.round(box.height * ratio);
    if (w === this.canvas.width && h === this.canvas.height && ratio === this.ratio) return;
    // After a rotation the pad is wider or narrower: scale the drawing with it, keeping its shape.
    if (this.width && this.strokes.length) {
      const k = box.width / this.width;
      for (const stroke of this.strokes) {
        for (const p of stroke) {
          p.x *= k;
          p.y *= k;
          p.w *= k;
        }
      }
    }
    this.canvas.width = w;
    this.canvas.height = h;
    this.ratio = ratio;
    this.width = box.width;
    this.redraw();
  }

  point(e, previous, box) {
    const p = { x: e.clientX - box.left, y: e.clientY - box.top, t: e.timeStamp, w: MAX_WIDTH * 0.6, v: 0 };
    if (previous) {
      const dt = Math.max(1, p.t - previous.t);
      const speed = Math.hypot(p.x - previous.x, p.y - previous.y) / dt; // CSS px per ms
      p.v = SPEED_SMOOTHING * previous.v + (1 - SPEED_SMOOTHING) * speed;
      let target = Math.max(MIN_WIDTH, MAX_WIDTH / (1 + 1.6 * p.v));
      if (e.pointerType === "pen" && e.pressure > 0) target *= 0.5 + e.pressure;
      p.w = WIDTH_SMOOTHING * previous.w + (1 - WIDTH_SMOOTHING) * target;
    }
    return p;
  }

  // --- input ----------------------------------------------------------------------------------
  down(e) {
    if (this.pointerId !== null || (e.pointerType === "mouse" && e.button !== 0)) return;
    e.preventDefault();
    this.pointerId = e.pointerId;
    this.canvas.setPointerCapture(e.pointerId);
    this.current = [this.point(e, null, this.canvas.getBoundingClientRect())];
    this.strokes.push(this.current);
    this.changed();
  }

  move(e) {
    if (e.pointerId !== this.pointerId || !this.current) return;
    e.preventDefault();
    const box = this.canvas.getBoundingClientRect();
    const samples = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
    for (const sample of samples.length ? samples : [e]) {
      const last = this.current[this.current.length - 1];
      const x = sample.clientX - box.left;
      const y = sample.clientY - box.top;
      if (Math.hypot(x - last.x, y - last.y) < 0.5) continue; // no new ink, only noise
      this.current.push(this.point(sample, last, box));
      this.drawSegment(this.current, this.current.length - 1);
    }
  }

  up(e) {
    if (e.pointerId !== this.pointerId) return;
    if (this.current) this.drawEnd(this.current);
    this.current = null;
    this.pointerId = null;
  }

  // --- drawing --------------------------------------------------------------------------------
  pen(width) {
    const ctx = this.ctx;
    ctx.setTransform(this.ratio, 0, 0, this.ratio, 0, 0);
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = INK;
    ctx.fillStyle = INK;
    ctx.lineWidth = width;
    return ctx;
  }

  // The piece of the stroke that sample i completes: midpoint(i-2, i-1) → midpoint(i-1, i).
  drawSegment(points, i) {
    if (i < 1) return;
    const a = points[i - 1];
    const b = points[i];
    const ctx = this.pen((a.w + b.w) / 2);
    ctx.beginPath();
    if (i === 1) {
      ctx.moveTo(a.x, a.y);
      ctx.lineTo((a.x + b.x) / 2, (a.y + b.y) / 2);
    } else {
      const o = points[i - 2];
      ctx.moveTo((o.x + a.x) / 2, (o.y + a.y) / 2);
      ctx.quadraticCurveTo(a.x, a.y, (a.x + b.x) / 2, (a.y + b.y) / 2);
    }
    ctx.stroke();
  }

  // The last half segment, or a dot for a tap.
  drawEnd(points) {
    const last = points[points.length - 1];
    if (points.length === 1) {
      const ctx = this.pen(last.w);
      ctx.beginPath();
      ctx.arc(last.x, last.y, last.w / 2, 0, Math.PI * 2);
      ctx.fill();
      return;
    }
    const prev = points[points.length - 2];
    const ctx = this.pen(last.w);
    ctx.beginPath();
    ctx.moveTo((prev.x + last.x) / 2, (prev.y + last.y) / 2);
    ctx.lineTo(last.x, last.y);
    ctx.stroke();
  }

  redraw() {
    this.ctx.setTransform(1, 0, 0, 1, 0, 0);
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    for (const stroke of this.strokes) {
      for (let i = 1; i < stroke.length; i++) this.drawSegment(stroke, i);
      if (stroke !== this.current) this.drawEnd(stroke);
    }
  }

  undo() {
    this.strokes.pop();
    this.current = null;
    this.pointerId = null;
    this.redraw();
    this.changed();
  }

  clear() {
    this.strokes = [];
    this.current = null;
    this.pointerId = null;
    this.redraw();
    this.changed();
  }

  changed() {
    const ink = this.strokes.length > 0;
    this.root.classList.toggle("has-ink", ink);
    this.undoButton.disabled = !ink;
    this.clearButton.disabled = !ink;
    this.say("");
  }

  say(text) {
    this.status.textContent = text;
  }

  // --- export ---------------------------------------------------------------------------------
  // The drawing cropped to its ink with a small transparent border, as a PNG blob (or null).
  croppedPng() {
    const { width, height } = this.canvas;
    const data = this.ctx.getImageData(0, 0, width, height).data;
    let x0 = width, y0 = height, x1 = -1, y1 = -1;
    for (let y = 0; y < height; y++) {
      const row = y * width * 4;
      for (let x = 0; x < width; x++) {
        if (data[row + x * 4 + 3] > 0) {
          if (x < x0) x0 = x;
          if (x > x1) x1 = x;
          if (y < y0) y0 = y;
          y1 = y;
        }
      }
    }
    if (x1 < 0) return Promise.resolve(null);
    const w = x1 - x0 + 1;
    const h = y1 - y0 + 1;
    const pad = Math.max(2, Math.round(MARGIN * Math.max(w, h)));
    const out = document.createElement("canvas");
    out.width = w + 2 * pad;
    out.height = h + 2 * pad;
    out.getContext("2d").drawImage(this.canvas, x0, y0, w, h, pad, pad, w, h);
    return new Promise((resolve) => out.toBlob(resolve, "image/png"));
  }

  async submit(e) {
    e.preventDefault();
    const messages = this.root.dataset;
    if (!this.strokes.length) {
      this.say(messages.msgEmpty);
      return;
    }
    const blob = await this.croppedPng();
    if (!blob) {
      this.say(messages.msgEmpty);
      return;
    }
    const body = new FormData(this.form);
    body.append("signature", blob, "signature.png");
    this.submitButton.disabled = true;
    this.say(messages.msgSending);
    let answer;
    try {
      const response = await fetch(this.form.action, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      answer = await response.json();
    } catch {
      answer = { ok: false, error: messages.msgFailed };
    }
    this.submitButton.disabled = false;
    if (!answer.ok) {
      this.say(answer.error || messages.msgFailed);
      return;
    }
    if (answer.redirect) {
      window.location.assign(answer.redirect);
      return;
    }
    this.say("");
    this.done.textContent = answer.done || "";
    this.done.hidden = false;
    this.root.classList.add("is-done");
  }
}

for (const root of document.querySelectorAll("[data-signature-pad]")) {
  root.signaturePad = new SignaturePad(root);
}

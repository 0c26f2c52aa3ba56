/* The campaign canvas: Drawflow draws, the graph document is the truth.

   ``doc`` ({version, activities, transitions}) is what GET/PUT /campaigns/{id}/graph/ read and write.
   Drawflow's events (move, connect, remove) update ``doc``; everything else (delete, paste, undo, a
   configuration that changes an activity's outputs) changes ``doc`` and redraws. Undo is a stack of
   documents. Saving sends the version read; a 409 means someone saved in between. */

import { ApiError, announce, api, fmt, h, readConfig, gettext, fill } from "./common.js";
import { loadMeta, RuleBuilder, ruleActions } from "./rule_builder.js";
import { SchemaForm, defaultFor } from "./schema_form.js";
import { RunMonitor } from "./run_panel.js";

const CLIPBOARD = "oc-canvas-clipboard";
const cfg = readConfig("oc-canvas-config");
const $ = (id) => document.getElementById(id);
const snapshot = (doc) => JSON.stringify({ activities: doc.activities, transitions: doc.transitions });

class Canvas {
  constructor() {
    this.base = cfg.api;
    this.graphUrl = `campaigns/${cfg.campaign}/graph/`;
    this.messages = $("oc-canvas-messages");
    this.panel = $("oc-side-panel");
    this.selected = new Set();
    this.selectedTransition = null;
    this.history = [];
    this.future = [];
    this.outputsCache = new Map();
    this.errors = {}; // activity key -> [{path, message}]
    this.graphErrors = [];
    this.dirty = false;
    this.results = []; // transition results of the shown run
    this.tasks = {};
    this.holds = {}; // activity key -> send hold of the shown run (set by the run monitor)
  }

  async start() {
    const [types, doc, meta] = await Promise.all([
      api(this.base, "activity-schemas/"),
      api(this.base, this.graphUrl),
      loadMeta(cfg.ruleMeta).catch(() => null),
    ]);
    this.types = Object.fromEntries(types.map((type) => [type.key, type]));
    this.meta = meta;
    this.doc = doc;
    this.editor = new window.Drawflow($("oc-drawflow"));
    this.editor.reroute = false;
    this.editor.zoom_min = 0.1; // Drawflow's 0.5 is too close for Fit to show a large graph whole
    this.editor.key = (event) => this.onKey(event); // replaces Drawflow's own Delete handling
    this.editor.start();
    this.editor.editor_mode = cfg.editable ? "edit" : "view";
    this.bindEditor();
    this.buildToolbar();
    this.buildPalette();
    this.history = [snapshot(doc)];
    await this.redraw();
    this.fit();
    this.monitor = new RunMonitor(this, cfg);
    await this.monitor.start();
    document.body.classList.add("oc-canvas-ready");
  }

  /* --- drawing ----------------------------------------------------------------------------------- */
  async outputsOf(activity) {
    const type = this.types[activity.type];
    if (!type) return ["out"];
    const cacheKey = `${activity.type}|${JSON.stringify(activity.config || {})}`;
    if (!this.outputsCache.has(cacheKey)) {
      this.outputsCache.set(cacheKey, api(this.base, "activity-schemas/outputs/", { method: "POST", body: { type: activity.type, config: activity.config || {} } })
        .then((r) => r.outputs).catch(() => null));
    }
    const outputs = await this.outputsCache.get(cacheKey);
    if (outputs) return outputs;
    // An invalid configuration: keep the outputs its transitions use, so nothing is lost while editing.
    const used = this.doc.transitions.filter((tr) => tr.source === activity.key).map((tr) => tr.output || "out");
    return used.length ? [...new Set(used)] : ["out"];
  }

  async redraw() {
    this.drawing = true;
    const outputs = await Promise.all(this.doc.activities.map((a) => this.outputsOf(a)));
    this.outputs = Object.fromEntries(this.doc.activities.map((a, i) => [a.key, outputs[i]]));
    this.editor.clear();
    this.idByKey = new Map();
    this.keyById = new Map();
    for (const activity of this.doc.activities) {
      const type = this.types[activity.type] || { label: activity.type, max_inputs: 1, category: "other" };
      const html = `<div class="oc-node" data-key="${activity.key}"><div class="oc-node-title"></div><div class="oc-node-type"></div><div class="oc-node-status" aria-live="polite"></div></div>`;
      const id = this.editor.addNode(activity.type, type.max_inputs === 0 ? 0 : 1, this.outputs[activity.key].length,
        activity.x || 0, activity.y || 0, `oc-cat-${type.category}`, { key: activity.key }, html);
      this.idByKey.set(activity.key, id);
      this.keyById.set(String(id), activity.key);
      const el = this.nodeEl(activity.key);
      el.querySelector(".oc-node-title").textContent = activity.label || activity.key;
      el.querySelector(".oc-node-type").textContent = type.label;
      el.setAttribute("tabindex", "0");
      el.setAttribute("role", "button");
      el.setAttribute("aria-label", fmt(gettext("Activity %(label)s (%(type)s)"), { label: activity.label || activity.key, type: type.label }));
      el.dataset.key = activity.key;
      this.outputs[activity.key].forEach((name, i) => {
        const port = el.querySelector(`.outputs .output_${i + 1}`);
        if (port) { port.dataset.name = name; port.title = name; }
      });
    }
    for (const tr of this.doc.transitions) {
      const index = (this.outputs[tr.source] || []).indexOf(tr.output || "out");
      const from = this.idByKey.get(tr.source);
      const to = this.idByKey.get(tr.target);
      if (index < 0 || !from || !to) continue;
      this.editor.addConnection(from, to, `output_${index + 1}`, "input_1");
    }
    this.drawing = false;
    this.decorate();
  }

  nodeEl(key) {
    return document.getElementById(`node-${this.idByKey.get(key)}`);
  }

  /* Marks that do not change the graph: selection, errors, run status, transition labels and counts. */
  decorate() {
    for (const activity of this.doc.activities) {
      const el = this.nodeEl(activity.key);
      if (!el) continue;
      el.classList.toggle("oc-selected", this.selected.has(activity.key));
      el.classList.toggle("oc-invalid", !!(this.errors[activity.key] || []).length);
      el.classList.toggle("oc-disabled", activity.enabled === false);
      const task = this.tasks[activity.key];
      el.classList.remove("oc-task-running", "oc-task-waiting", "oc-task-error", "oc-task-done");
      const mark = el.querySelector(".oc-node-status");
      if (task) {
        const state = { running: "running", queued: "running", waiting: "waiting", paused: "waiting", done: "done", skipped: "done", failed: "error" }[task.status] || "running";
        el.classList.add(`oc-task-${state}`);
        const held = !!this.holds[activity.key];
        el.classList.toggle("oc-send-held", held);
        const waiting = held && !cfg.may_confirm_send ? gettext("waiting for confirmation") : gettext("waiting for you");
        mark.textContent = { running: gettext("running"), waiting, error: gettext("error"), done: gettext("done") }[state];
        mark.dataset.status = state;
        mark.title = task.error || task.message || "";
      } else {
        mark.textContent = "";
        delete mark.dataset.status;
      }
    }
    this.drawLabels();
    this.drawMinimap();
  }

  connectionPath(tr) {
    const from = this.idByKey.get(tr.source);
    const to = this.idByKey.get(tr.target);
    const index = (this.outputs[tr.source] || []).indexOf(tr.output || "out") + 1;
    return document.querySelector(`.connection.node_out_node-${from}.node_in_node-${to}.output_${index} .main-path`);
  }

  drawLabels() {
    const layer = this.editor.precanvas;
    layer.querySelectorAll(".oc-transition-label").forEach((el) => el.remove());
    this.doc.transitions.forEach((tr, index) => {
      const path = this.connectionPath(tr);
      if (!path) return;
      const svg = path.closest("svg");
      svg.dataset.transition = String(index);
      svg.classList.toggle("oc-selected-transition", this.selectedTransition === index);
      const length = path.getTotalLength();
      const point = path.getPointAtLength(length / 2);
      const result = this.results.find((r) => r.source_key === tr.source && r.output === (tr.output || "out"));
      const text = tr.label || ((tr.output || "out") !== "out" ? tr.output : "");
      const label = h("button", { type: "button", class: "oc-transition-label", "data-transition": String(index),
        "data-source": tr.source, "data-output": tr.output || "out", style: `left:${point.x}px;top:${point.y}px`,
        "aria-label": fmt(gettext("Transition from %(source)s (%(output)s) to %(target)s"), { source: tr.source, output: tr.output || "out", target: tr.target }),
        onclick: (event) => { event.stopPropagation(); this.selectTransition(index); } },
      text ? h("span", { class: "oc-transition-text" }, text) : null,
      result ? h("span", { class: "oc-count", "data-count": result.activated ? String(result.row_count) : "" }, result.activated ? Number(result.row_count).toLocaleString() : gettext("not activated")) : null);
      if (!text && !result) label.classList.add("oc-empty-label");
      layer.append(label);
    });
  }

  /* --- a simple scaled overview ------------------------------------------------------------------ */
  drawMinimap() {
    const svg = $("oc-minimap");
    if (!svg || !this.doc) return;
    const boxes = this.nodeBoxes();
    fill(svg, );
    if (!boxes.length) return;
    const minX = Math.min(...boxes.map((b) => b.x)) - 40;
    const minY = Math.min(...boxes.map((b) => b.y)) - 40;
    const maxX = Math.max(...boxes.map((b) => b.x + b.w)) + 40;
    const maxY = Math.max(...boxes.map((b) => b.y + b.h)) + 40;
    svg.setAttribute("viewBox", `${minX} ${minY} ${maxX - minX} ${maxY - minY}`);
    const ns = "http://www.w3.org/2000/svg";
    for (const b of boxes) {
      const rect = document.createElementNS(ns, "rect");
      Object.entries({ x: b.x, y: b.y, width: b.w, height: b.h, rx: 6, class: `oc-mini-node${this.selected.has(b.key) ? " oc-mini-selected" : ""}` }).forEach(([k, v]) => rect.setAttribute(k, v));
      svg.append(rect);
    }
    // the visible part of the canvas
    const c = $("oc-drawflow").getBoundingClientRect();
    const z = this.editor.zoom;
    const cx = c.width / 2;
    const cy = c.height / 2;
    const view = document.createElementNS(ns, "rect");
    const vx = cx - (cx + this.editor.canvas_x) / z;
    const vy = cy - (cy + this.editor.canvas_y) / z;
    Object.entries({ x: vx, y: vy, width: c.width / z, height: c.height / z, class: "oc-mini-view" }).forEach(([k, v]) => view.setAttribute(k, v));
    svg.append(view);
    svg.onclick = (event) => {
      const point = svg.createSVGPoint();
      point.x = event.clientX;
      point.y = event.clientY;
      const p = point.matrixTransform(svg.getScreenCTM().inverse());
      this.centerOn(p.x, p.y);
    };
  }

  nodeBoxes() {
    return this.doc.activities.map((a) => {
      const el = this.nodeEl(a.key);
      return { key: a.key, x: a.x || 0, y: a.y || 0, w: el ? el.offsetWidth : 160, h: el ? el.offsetHeight : 60 };
    });
  }

  applyTransform() {
    const e = this.editor;
    e.precanvas.style.transform = `translate(${e.canvas_x}px, ${e.canvas_y}px) scale(${e.zoom})`;
    e.zoom_last_value = e.zoom;
    this.drawMinimap();
  }

  centerOn(x, y) {
    const c = $("oc-drawflow").getBoundingClientRect();
    this.editor.canvas_x = -(x - c.width / 2) * this.editor.zoom;
    this.editor.canvas_y = -(y - c.height / 2) * this.editor.zoom;
    this.applyTransform();
  }

  fit() {
    const boxes = this.nodeBoxes();
    if (!boxes.length) return;
    const c = $("oc-drawflow").getBoundingClientRect();
    const minX = Math.min(...boxes.map((b) => b.x));
    const minY = Math.min(...boxes.map((b) => b.y));
    const maxX = Math.max(...boxes.map((b) => b.x + b.w));
    const maxY = Math.max(...boxes.map((b) => b.y + b.h));
    const zoom = Math.max(this.editor.zoom_min, Math.min(1.2, 0.9 * Math.min(c.width / (maxX - minX + 1), c.height / (maxY - minY + 1))));
    this.editor.zoom = zoom;
    this.centerOn((minX + maxX) / 2, (minY + maxY) / 2);
  }

  /* --- Drawflow's events ------------------------------------------------------------------------- */
  bindEditor() {
    const e = this.editor;
    e.on("nodeMoved", (id) => {
      const key = this.keyById.get(String(id));
      const node = e.drawflow.drawflow.Home.data[id];
      const activity = this.activity(key);
      if (!activity || !node) return;
      activity.x = Math.round(node.pos_x);
      activity.y = Math.round(node.pos_y);
      this.changed({ redraw: false });
    });
    e.on("connectionCreated", (c) => {
      if (this.drawing) return;
      const source = this.keyById.get(String(c.output_id));
      const target = this.keyById.get(String(c.input_id));
      const output = this.outputs[source][Number(c.output_class.split("_")[1]) - 1];
      if (this.doc.transitions.some((tr) => tr.source === source && (tr.output || "out") === output)) {
        announce(this.messages, fmt(gettext("Output %(output)s of %(source)s already has a transition."), { output, source }), "warning");
        this.drawing = true;
        e.removeSingleConnection(c.output_id, c.input_id, c.output_class, c.input_class);
        this.drawing = false;
        return;
      }
      this.doc.transitions.push({ source, output, target, label: "" });
      this.changed({ redraw: false });
    });
    e.on("connectionRemoved", (c) => {
      if (this.drawing) return;
      const source = this.keyById.get(String(c.output_id));
      const target = this.keyById.get(String(c.input_id));
      const output = (this.outputs[source] || [])[Number(c.output_class.split("_")[1]) - 1];
      this.doc.transitions = this.doc.transitions.filter((tr) => !(tr.source === source && tr.target === target && (tr.output || "out") === output));
      this.changed({ redraw: false });
    });
    e.on("nodeRemoved", (id) => {
      if (this.drawing) return;
      this.removeKeys([this.keyById.get(String(id))], { redraw: false });
    });
    e.on("zoom", () => setTimeout(() => this.drawMinimap(), 0));
    e.on("translate", () => this.drawMinimap());
    const container = $("oc-drawflow");
    container.addEventListener("click", (event) => {
      const label = event.target.closest(".oc-transition-label");
      if (label) return;
      const svg = event.target.closest("svg.connection");
      if (svg && svg.dataset.transition !== undefined) { this.selectTransition(Number(svg.dataset.transition)); return; }
      const node = event.target.closest(".drawflow-node");
      if (node) { this.selectNode(this.keyById.get(node.id.slice(5)), event.shiftKey || event.metaKey || event.ctrlKey); return; }
      if (event.target.closest(".drawflow") || event.target === container) this.clearSelection();
    });
    container.addEventListener("keydown", (event) => {
      const node = event.target.closest(".drawflow-node");
      if (node && (event.key === "Enter" || event.key === " ")) { event.preventDefault(); this.selectNode(this.keyById.get(node.id.slice(5)), event.shiftKey); }
    });
    document.addEventListener("keydown", (event) => this.onKey(event, true));
    // Dropping a palette entry on the canvas adds it there.
    container.addEventListener("dragover", (event) => { if (cfg.editable) event.preventDefault(); });
    container.addEventListener("drop", (event) => {
      event.preventDefault();
      const type = event.dataTransfer.getData("text/oc-activity-type");
      if (!type) return;
      const c = container.getBoundingClientRect();
      const z = this.editor.zoom;
      const x = (event.clientX - c.left - c.width / 2 - this.editor.canvas_x) / z + c.width / 2;
      const y = (event.clientY - c.top - c.height / 2 - this.editor.canvas_y) / z + c.height / 2;
      this.add(type, { x, y });
    });
    window.addEventListener("beforeunload", (event) => { if (this.dirty) { event.preventDefault(); event.returnValue = ""; } });
  }

  onKey(event, fromDocument = false) {
    if (!fromDocument) return; // Drawflow's own handler: ours below sees every key once
    const editing = event.target.closest && event.target.closest("input, textarea, select, [contenteditable]");
    if (editing) return;
    const mod = event.ctrlKey || event.metaKey;
    if (mod && event.key.toLowerCase() === "z" && !event.shiftKey) { event.preventDefault(); this.undo(); return; }
    if (mod && (event.key.toLowerCase() === "y" || (event.key.toLowerCase() === "z" && event.shiftKey))) { event.preventDefault(); this.redo(); return; }
    if (mod && event.key.toLowerCase() === "s") { event.preventDefault(); this.save(); return; }
    if (!event.target.closest("#oc-canvas")) return;
    if (mod && event.key.toLowerCase() === "c") { event.preventDefault(); this.copy(); return; }
    if (mod && event.key.toLowerCase() === "v") { event.preventDefault(); this.paste(); return; }
    if (mod && event.key.toLowerCase() === "a") { event.preventDefault(); this.doc.activities.forEach((a) => this.selected.add(a.key)); this.decorate(); return; }
    if (event.key === "Delete" || (event.key === "Backspace" && event.metaKey)) {
      event.preventDefault();
      this.deleteSelection();
    }
  }

  /* --- changes and history ----------------------------------------------------------------------- */
  activity(key) {
    return this.doc.activities.find((a) => a.key === key);
  }

  async changed({ redraw = true } = {}) {
    const snap = snapshot(this.doc);
    if (this.history[this.history.length - 1] !== snap) {
      this.history.push(snap);
      if (this.history.length > 200) this.history.shift();
      this.future = [];
      this.setDirty(true);
    }
    if (redraw) await this.redraw();
    else this.decorate();
    this.updateToolbar();
  }

  setDirty(dirty) {
    this.dirty = dirty;
    $("oc-save").classList.toggle("oc-attention", dirty);
    $("oc-dirty").hidden = !dirty;
  }

  async restore(snap) {
    const data = JSON.parse(snap);
    this.doc.activities = data.activities;
    this.doc.transitions = data.transitions;
    this.selected = new Set([...this.selected].filter((k) => this.activity(k)));
    this.selectedTransition = null;
    this.setDirty(true);
    await this.redraw();
    this.showPanel();
    this.updateToolbar();
  }

  async undo() {
    if (!cfg.editable || this.history.length < 2) return;
    this.future.push(this.history.pop());
    await this.restore(this.history[this.history.length - 1]);
    announce(this.messages, gettext("Undone."));
  }

  async redo() {
    if (!cfg.editable || !this.future.length) return;
    const snap = this.future.pop();
    this.history.push(snap);
    await this.restore(snap);
  }

  uniqueKey(base) {
    const stem = (base || "activity").toLowerCase().replace(/[^a-z0-9_]/g, "_").replace(/^[^a-z]+/, "") || "activity";
    const taken = new Set(this.doc.activities.map((a) => a.key));
    if (!taken.has(stem)) return stem.slice(0, 63);
    for (let n = 2; ; n += 1) if (!taken.has(`${stem}_${n}`)) return `${stem}_${n}`.slice(0, 63);
  }

  async add(typeKey, { x, y } = {}) {
    if (!cfg.editable) return;
    const type = this.types[typeKey];
    const from = this.selected.size === 1 ? this.activity([...this.selected][0]) : null;
    const key = this.uniqueKey(typeKey.split(".")[1]);
    const spot = x !== undefined ? { x, y } : this.freeSpot(from ? (from.x || 0) + 240 : 40, from ? from.y || 0 : 40);
    const activity = { key, type: typeKey, label: type.label, x: Math.round(spot.x), y: Math.round(spot.y), config: defaultFor(type.schema), enabled: true, breakpoint: false };
    this.doc.activities.push(activity);
    if (from && type.max_inputs !== 0 && x === undefined) {
      const used = new Set(this.doc.transitions.filter((tr) => tr.source === from.key).map((tr) => tr.output || "out"));
      const free = (this.outputs[from.key] || []).find((o) => !used.has(o));
      if (free) this.doc.transitions.push({ source: from.key, output: free, target: key, label: "" });
    }
    this.selected = new Set([key]);
    await this.changed();
    this.showPanel();
    announce(this.messages, fmt(gettext("%(label)s added."), { label: type.label }));
    return activity;
  }

  freeSpot(x, y) {
    /* The first place at or below (x, y) where a new node does not cover another one. */
    const taken = (px, py) => this.doc.activities.some((a) => Math.abs((a.x || 0) - px) < 200 && Math.abs((a.y || 0) - py) < 95);
    while (taken(x, y)) y += 100;
    return { x, y };
  }

  async removeKeys(keys, { redraw = true } = {}) {
    const gone = new Set(keys);
    this.doc.activities = this.doc.activities.filter((a) => !gone.has(a.key));
    this.doc.transitions = this.doc.transitions.filter((tr) => !gone.has(tr.source) && !gone.has(tr.target));
    keys.forEach((k) => this.selected.delete(k));
    await this.changed({ redraw });
    this.showPanel();
  }

  async deleteSelection() {
    if (!cfg.editable) return;
    if (this.selectedTransition !== null) {
      this.doc.transitions.splice(this.selectedTransition, 1);
      this.selectedTransition = null;
      await this.changed();
      this.showPanel();
      return;
    }
    if (this.selected.size) {
      const n = this.selected.size;
      await this.removeKeys([...this.selected]);
      announce(this.messages, fmt(gettext("%(n)s activities deleted (Ctrl+Z undoes)."), { n }));
    }
  }

  /* --- copy and paste (also into another campaign: the clipboard is the browser's storage) ---------- */
  copy() {
    if (!this.selected.size) return;
    const keys = new Set(this.selected);
    const data = {
      activities: this.doc.activities.filter((a) => keys.has(a.key)),
      transitions: this.doc.transitions.filter((tr) => keys.has(tr.source) && keys.has(tr.target)),
    };
    localStorage.setItem(CLIPBOARD, JSON.stringify(data));
    announce(this.messages, fmt(gettext("%(n)s activities copied."), { n: data.activities.length }));
  }

  async paste() {
    if (!cfg.editable) return;
    const data = JSON.parse(localStorage.getItem(CLIPBOARD) || "null");
    if (!data || !data.activities.length) return;
    const renamed = {};
    const added = [];
    for (const source of data.activities) {
      const key = this.uniqueKey(source.key);
      renamed[source.key] = key;
      const copy = JSON.parse(JSON.stringify(source));
      copy.key = key;
      copy.x = (copy.x || 0) + 40;
      copy.y = (copy.y || 0) + 40;
      this.doc.activities.push(copy);
      added.push(copy);
    }
    // References to other activities (x-widget "inbound-activity"): re-pointed when copied, else cleared.
    for (const activity of added) {
      const schema = (this.types[activity.type] || {}).schema || { properties: {} };
      for (const [name, prop] of Object.entries(schema.properties || {})) {
        if (prop["x-widget"] === "inbound-activity" && activity.config && activity.config[name]) {
          activity.config[name] = renamed[activity.config[name]] || null;
        }
      }
    }
    for (const tr of data.transitions) {
      this.doc.transitions.push({ ...tr, source: renamed[tr.source], target: renamed[tr.target] });
    }
    this.selected = new Set(added.map((a) => a.key));
    await this.changed();
    this.showPanel();
    announce(this.messages, fmt(gettext("%(n)s activities pasted."), { n: added.length }));
  }

  /* --- selection and the side panel ------------------------------------------------------------------ */
  selectNode(key, toggle = false) {
    if (!key) return;
    this.selectedTransition = null;
    if (toggle) {
      if (this.selected.has(key)) this.selected.delete(key);
      else this.selected.add(key);
    } else {
      this.selected = new Set([key]);
    }
    this.decorate();
    this.showPanel();
    this.buildPalette();
  }

  selectTransition(index) {
    this.selected = new Set();
    this.selectedTransition = index;
    this.decorate();
    this.showPanel();
    this.buildPalette();
  }

  clearSelection() {
    if (!this.selected.size && this.selectedTransition === null) return;
    this.selected = new Set();
    this.selectedTransition = null;
    this.decorate();
    this.showPanel();
    this.buildPalette();
  }

  showPanel() {
    const panel = this.panel;
    if (this.selectedTransition !== null && this.doc.transitions[this.selectedTransition]) {
      fill(panel, this.transitionPanel(this.selectedTransition));
      return;
    }
    if (this.selected.size === 1) {
      fill(panel, this.activityPanel(this.activity([...this.selected][0])));
      return;
    }
    fill(panel, 
      h("h2", {}, this.selected.size ? fmt(gettext("%(n)s activities selected"), { n: this.selected.size }) : gettext("Campaign")),
      this.selected.size ? h("p", {}, gettext("Ctrl+C copies them, Delete deletes them.")) : h("p", {}, gettext("Select an activity to configure it, or a transition to see its population.")),
      this.graphErrors.length ? h("ul", { class: "errorlist" }, this.graphErrors.map((e) => h("li", {}, e))) : null,
    );
  }

  dimensionOf(key, seen = new Set()) {
    /* The dimension (schema name) of the population leaving ``key``, walking upstream. */
    if (!key || seen.has(key)) return null;
    seen.add(key);
    const activity = this.activity(key);
    if (!activity) return null;
    if (activity.config && typeof activity.config.dimension === "string" && activity.config.dimension) return activity.config.dimension;
    const inbound = this.doc.transitions.find((tr) => tr.target === key);
    return inbound ? this.dimensionOf(inbound.source, seen) : null;
  }

  upstreamHasAudience(key, seen = new Set()) {
    if (!key || seen.has(key)) return false;
    seen.add(key);
    const activity = this.activity(key);
    const type = activity && this.types[activity.type];
    if (!type) return false;
    if (type.produces === "dimension") return true;
    if (type.produces === "file") return false;
    return this.doc.transitions.filter((tr) => tr.target === key).some((tr) => this.upstreamHasAudience(tr.source, seen));
  }

  widgets(activity) {
    const inbound = () => this.doc.transitions.filter((tr) => tr.target === activity.key).map((tr) => tr.source);
    const dimensions = this.meta ? this.meta.dimensions : [];
    return {
      dimension: ({ id, value, readOnly, set }) => h("select", { id, disabled: readOnly, onchange: (e) => set(e.target.value) },
        h("option", { value: "" }, "—"), dimensions.map((d) => h("option", { value: d.schema, selected: d.schema === value }, `${d.label} (${d.schema})`))),
      "inbound-activity": ({ id, value, readOnly, set }) => h("select", { id, disabled: readOnly, onchange: (e) => set(e.target.value || null) },
        h("option", { value: "" }, gettext("(the first input)")), inbound().map((k) => h("option", { value: k, selected: k === value }, k))),
      textarea: ({ id, value, readOnly, set }) => { const el = h("textarea", { id, rows: 4, cols: 40, disabled: readOnly, onchange: (e) => set(e.target.value) }); el.value = value || ""; return el; },
      rule: ({ value, readOnly, set, path }) => {
        if (!this.meta) return h("p", { class: "errorlist" }, gettext("The rule builder could not load the catalog."));
        const own = path === "rule" ? activity.config.dimension : null;
        const schemaName = () => own || activity.config.dimension || this.dimensionOf((this.doc.transitions.find((tr) => tr.target === activity.key) || {}).source);
        const dimension = () => { const d = dimensions.find((x) => x.schema === schemaName()); return d ? d.id : null; };
        const box = h("div", { class: "oc-rule-widget" });
        if (!dimension()) { box.append(h("p", { class: "help" }, gettext("Choose a dimension first."))); return box; }
        const holder = h("div", {});
        const builder = new RuleBuilder(holder, { meta: this.meta, apiBase: this.base, expressionUrl: cfg.expressionUrl, dimension, value, readOnly, onChange: (rule) => set(rule) });
        const errs = (this.errors[activity.key] || []).filter((e) => e.path === path || e.path.startsWith(`${path}.`)).map((e) => ({ path: e.path.slice(path.length + 1), message: e.message }));
        if (errs.length) builder.setErrors(errs);
        box.append(holder, ruleActions(builder, { apiBase: this.base, dimension }));
        return box;
      },
    };
  }

  activityPanel(activity) {
    const type = this.types[activity.type] || { label: activity.type, schema: { type: "object", properties: {} } };
    const ro = !cfg.editable;
    const formBox = h("div", { class: "oc-config-form" });
    const set = (field) => (e) => { activity[field] = e.target.type === "checkbox" ? e.target.checked : e.target.value; this.changed({ redraw: field === "label" }); };
    const form = new SchemaForm(formBox, type.schema, activity.config, {
      readOnly: ro,
      widgets: this.widgets(activity),
      onChange: async (value) => {
        const before = JSON.stringify(await this.outputsOf(activity));
        const dimensionChanged = (activity.config || {}).dimension !== value.dimension;
        activity.config = value;
        if (dimensionChanged) setTimeout(() => this.showPanel(), 0); // the rule widget follows the dimension
        const after = JSON.stringify(await this.outputsOf(activity));
        await this.changed({ redraw: before !== after });
        if (before !== after) this.decorate();
      },
    });
    const errors = this.errors[activity.key] || [];
    form.showErrors(errors.filter((e) => e.path.startsWith("config")).map((e) => ({ path: e.path.replace(/^config\.?/, ""), message: e.message })));
    return h("div", { class: "oc-activity-panel", "data-key": activity.key },
      h("h2", {}, type.label),
      h("p", { class: "help" }, type.description || ""),
      errors.filter((e) => !e.path.startsWith("config")).length ? h("ul", { class: "errorlist oc-activity-errors" }, errors.filter((e) => !e.path.startsWith("config")).map((e) => h("li", {}, e.message))) : null,
      h("div", { class: "form-row" }, h("label", { for: "oc-activity-label" }, gettext("Label")), h("input", { id: "oc-activity-label", value: activity.label || "", disabled: ro, onchange: set("label") })),
      h("div", { class: "form-row" }, h("span", {}, gettext("Key")), " ", h("code", {}, activity.key)),
      h("div", { class: "form-row" },
        h("label", {}, h("input", { type: "checkbox", checked: activity.enabled !== false, disabled: ro, onchange: set("enabled") }), " ", gettext("Enabled")), " ",
        h("label", {}, h("input", { type: "checkbox", checked: !!activity.breakpoint, disabled: ro, onchange: set("breakpoint") }), " ", gettext("Pause here (breakpoint)"))),
      h("h3", {}, gettext("Configuration")),
      formBox,
      this.monitor ? this.monitor.taskSummary(activity.key) : null,
    );
  }

  transitionPanel(index) {
    const tr = this.doc.transitions[index];
    const ro = !cfg.editable;
    return h("div", { class: "oc-transition-panel" },
      h("h2", {}, gettext("Transition")),
      h("p", {}, fmt(gettext("From %(source)s (output %(output)s) to %(target)s"), { source: tr.source, output: tr.output || "out", target: tr.target })),
      h("div", { class: "form-row" }, h("label", { for: "oc-transition-label" }, gettext("Label")),
        h("input", { id: "oc-transition-label", value: tr.label || "", disabled: ro, maxlength: 200, onchange: (e) => { tr.label = e.target.value; this.changed({ redraw: false }); } })),
      ro ? null : h("button", { type: "button", class: "oc-danger", onclick: () => this.deleteSelection() }, gettext("Delete the transition")),
      this.monitor ? this.monitor.resultPanel(tr) : null,
    );
  }

  /* --- palette: only what fits where you are ---------------------------------------------------------- */
  fits(type) {
    const from = this.selected.size === 1 ? [...this.selected][0] : null;
    if (!from) return type.min_inputs === 0;
    if (type.max_inputs === 0) return false;
    if (type.needs_audience && !this.upstreamHasAudience(from)) return false;
    return true;
  }

  buildPalette() {
    const box = $("oc-palette");
    if (!cfg.editable) { fill(box, h("p", { class: "help" }, gettext("Read-only: this campaign cannot be edited by you or in its status."))); return; }
    const groups = {};
    for (const type of Object.values(this.types)) {
      if (!this.fits(type)) continue;
      (groups[type.category] = groups[type.category] || []).push(type);
    }
    const names = { targeting: gettext("Targeting"), flow: gettext("Flow control"), channel: gettext("Channels") };
    const from = this.selected.size === 1 ? [...this.selected][0] : null;
    fill(box, 
      h("h2", {}, gettext("Add an activity")),
      h("p", { class: "help" }, from ? fmt(gettext("After %(key)s:"), { key: from }) : gettext("To start the campaign:")),
      ...Object.entries(groups).map(([category, types]) => h("div", { class: "oc-palette-group" }, h("h3", {}, names[category] || category),
        types.map((type) => h("button", { type: "button", class: "oc-palette-item", draggable: "true", "data-type": type.key, title: type.description,
          ondragstart: (e) => e.dataTransfer.setData("text/oc-activity-type", type.key),
          onclick: () => this.add(type.key) }, type.label)))),
    );
  }

  /* --- toolbar, save --------------------------------------------------------------------------------- */
  buildToolbar() {
    const bar = $("oc-toolbar");
    const button = (id, label, handler, title) => h("button", { type: "button", id, class: "button", title: title || label, onclick: handler }, label);
    fill(bar, 
      cfg.editable ? button("oc-save", gettext("Save"), () => this.save(), gettext("Save (Ctrl+S)")) : h("span", { id: "oc-save", hidden: true }),
      h("span", { id: "oc-dirty", class: "oc-dirty", hidden: true }, gettext("Unsaved changes")),
      cfg.editable ? button("oc-undo", gettext("Undo"), () => this.undo(), gettext("Undo (Ctrl+Z)")) : null,
      cfg.editable ? button("oc-redo", gettext("Redo"), () => this.redo(), gettext("Redo (Ctrl+Y)")) : null,
      cfg.editable ? button("oc-copy", gettext("Copy"), () => this.copy(), gettext("Copy the selected activities (Ctrl+C)")) : null,
      cfg.editable ? button("oc-paste", gettext("Paste"), () => this.paste(), gettext("Paste (Ctrl+V)")) : null,
      cfg.editable ? button("oc-delete", gettext("Delete"), () => this.deleteSelection(), gettext("Delete the selection (Delete)")) : null,
      button("oc-zoom-in", "+", () => { this.editor.zoom_in(); this.drawMinimap(); }, gettext("Zoom in")),
      button("oc-zoom-out", "−", () => { this.editor.zoom_out(); this.drawMinimap(); }, gettext("Zoom out")),
      button("oc-fit", gettext("Fit"), () => this.fit(), gettext("Fit the graph in the view")),
    );
    this.updateToolbar();
  }

  updateToolbar() {
    const undo = $("oc-undo");
    if (undo) undo.disabled = this.history.length < 2;
    const redo = $("oc-redo");
    if (redo) redo.disabled = !this.future.length;
  }

  async save() {
    if (!cfg.editable) return;
    announce(this.messages, gettext("Saving…"));
    try {
      const saved = await api(this.base, this.graphUrl, { method: "PUT", body: { ...this.doc, version: this.doc.version } });
      this.doc = saved;
      this.errors = {};
      this.graphErrors = [];
      this.history.push(snapshot(saved));
      this.setDirty(false);
      await this.redraw();
      this.showPanel();
      announce(this.messages, fmt(gettext("Saved (version %(version)s)."), { version: saved.version }), "success");
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) { this.staleDialog(); return false; }
      if (error instanceof ApiError && error.status === 400) {
        this.errors = {};
        this.graphErrors = [];
        for (const e of error.errors) {
          const match = /^activities\.([a-z][a-z0-9_]*)(?:\.(.*))?$/.exec(e.field || "");
          if (match && this.activity(match[1])) (this.errors[match[1]] = this.errors[match[1]] || []).push({ path: match[2] || "", message: e.message });
          else this.graphErrors.push(e.field ? `${e.field}: ${e.message}` : e.message);
        }
        const count = error.errors.length;
        announce(this.messages, fmt(gettext("Not saved: %(n)s problems, marked on the activities."), { n: count }), "error");
        this.decorate();
        const first = Object.keys(this.errors)[0];
        if (first && !this.selected.size) this.selected = new Set([first]);
        this.showPanel();
        return false;
      }
      announce(this.messages, error.message, "error");
      return false;
    }
  }

  staleDialog() {
    const dialog = $("oc-stale-dialog");
    dialog.querySelector(".oc-stale-reload").onclick = () => { this.dirty = false; window.location.reload(); };
    dialog.querySelector(".oc-stale-cancel").onclick = () => dialog.close();
    dialog.showModal();
    announce(this.messages, gettext("Not saved: someone else saved this graph meanwhile."), "error");
  }
}

const canvas = new Canvas();
window.ocCanvas = canvas; // for the browser tests and the console
canvas.start().catch((error) => {
  announce(document.getElementById("oc-canvas-messages"), fmt(gettext("The canvas could not start: %(error)s"), { error: error.message }), "error");
  throw error;
});

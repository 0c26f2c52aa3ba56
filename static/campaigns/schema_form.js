/* A form generated from a JSON Schema (the activity type's Config, from /api/v1/activity-schemas/).

   The value is edited in place; every control carries ``data-path`` (dotted, list items by index, as
   the graph API names configuration errors: ``subsets.0.code``) so a server error lands next to its
   field. ``x-widget`` hints pick richer editors (a rule, a dimension, an inbound activity); titles and
   ``x-enum-labels`` come translated from the server. */

import { h, gettext, fill } from "./common.js";

const clone = (value) => JSON.parse(JSON.stringify(value));

export function defaultFor(schema) {
  if (schema.default !== undefined) return clone(schema.default);
  if (schema.nullable) return null;
  if (schema.type === "object" && schema.properties) {
    const out = {};
    for (const [name, prop] of Object.entries(schema.properties)) {
      if ((schema.required || []).includes(name)) out[name] = defaultFor(prop);
    }
    return out;
  }
  return { object: {}, array: [], string: schema.enum ? schema.enum[0] : "", integer: 0, number: 0, boolean: false }[schema.type] ?? null;
}

export class SchemaForm {
  /* options: {readOnly, widgets: {name: (ctx) => Element}, onChange(value)} */
  constructor(container, schema, value, options = {}) {
    this.container = container;
    this.schema = schema;
    this.value = value && typeof value === "object" ? clone(value) : {};
    this.o = options;
    this.render();
  }

  changed(rerender = false) {
    if (rerender) this.render();
    if (this.o.onChange) this.o.onChange(clone(this.value));
  }

  render() {
    fill(this.container, this.objectFields(this.schema, this.value, "", (v) => { this.value = v; }));
  }

  showErrors(errors) {
    /* errors: [{path: "content.subject", message}]; unplaced ones go on top */
    this.container.querySelectorAll(".oc-field-errors").forEach((el) => el.remove());
    const top = [];
    for (const error of errors) {
      let path = error.path;
      let target = null;
      while (true) {
        target = this.container.querySelector(`[data-path="${CSS.escape(path)}"]`);
        if (target || !path) break;
        path = path.includes(".") ? path.slice(0, path.lastIndexOf(".")) : "";
      }
      if (!target || !error.path) {
        top.push(error);
        continue;
      }
      const list = h("ul", { class: "errorlist oc-field-errors" }, h("li", {}, error.path === path ? error.message : `${error.path.slice(path.length + 1)}: ${error.message}`));
      target.append(list);
      target.classList.add("oc-has-error");
    }
    if (top.length) {
      this.container.prepend(h("ul", { class: "errorlist oc-field-errors" }, top.map((e) => h("li", {}, e.path ? `${e.path}: ${e.message}` : e.message))));
    }
  }

  objectFields(schema, value, path, set) {
    const box = h("div", { class: "oc-form-object" });
    for (const [name, prop] of Object.entries(schema.properties || {})) {
      const child = path ? `${path}.${name}` : name;
      if (value[name] === undefined) value[name] = defaultFor(prop);
      box.append(this.field(prop, value[name], child, (v) => { value[name] = v; set(value); }, (schema.required || []).includes(name)));
    }
    return box;
  }

  field(schema, value, path, set, required) {
    const id = `oc-f-${path.replace(/[^a-z0-9]/gi, "-")}`;
    const label = h("label", { for: id, class: required ? "required" : "" }, schema.title || path);
    const row = h("div", { class: "oc-form-row form-row", "data-path": path });
    const ro = this.o.readOnly;
    const widget = schema["x-widget"] && this.o.widgets && this.o.widgets[schema["x-widget"]];
    if (widget) {
      row.append(label, widget({ id, value, path, schema, readOnly: ro, set: (v) => { set(v); this.changed(); } }));
      return row;
    }
    if (schema.nullable && schema.type === "object" && schema.properties) {
      const on = value !== null && value !== undefined;
      row.append(h("label", {}, h("input", { type: "checkbox", id, disabled: ro, checked: on,
        onchange: (e) => { set(e.target.checked ? defaultFor({ ...schema, nullable: false, default: undefined }) : null); this.changed(true); } }), " ", schema.title || path));
      if (on) row.append(this.objectFields(schema, value, path, set));
      return row;
    }
    if (schema.type === "object" && schema.properties) {
      row.append(h("fieldset", { class: "oc-form-fieldset" }, h("legend", {}, schema.title || path), this.objectFields(schema, value || {}, path, set)));
      return row;
    }
    if (schema.type === "array") return this.arrayField(schema, value || [], path, set, label, row);
    let input;
    if (schema.enum) {
      input = h("select", { id, disabled: ro, onchange: (e) => { set(e.target.value === "" ? null : e.target.value); this.changed(); } },
        schema.nullable ? h("option", { value: "" }, "—") : null,
        schema.enum.map((v, i) => h("option", { value: v, selected: v === value }, (schema["x-enum-labels"] || [])[i] ?? String(v))));
    } else if (schema.type === "boolean") {
      input = h("input", { id, type: "checkbox", disabled: ro, checked: !!value, onchange: (e) => { set(e.target.checked); this.changed(); } });
    } else if (schema.type === "integer" || schema.type === "number") {
      input = h("input", { id, type: "number", step: schema.type === "integer" ? "1" : "any", disabled: ro, value: value ?? "",
        onchange: (e) => { set(e.target.value === "" ? (schema.nullable ? null : 0) : Number(e.target.value)); this.changed(); } });
    } else if (schema.type === "string" || schema.anyOf === undefined && schema.type === undefined && typeof value === "string") {
      const area = schema["x-widget"] === "textarea";
      input = h(area ? "textarea" : "input", { id, disabled: ro, rows: area ? 4 : undefined, cols: area ? 40 : undefined, value: value ?? "",
        onchange: (e) => { set(e.target.value === "" && schema.nullable ? null : e.target.value); this.changed(); } });
      if (area) input.value = value ?? "";
    } else {
      input = h("textarea", { id, disabled: ro, rows: 3, cols: 40, class: "oc-json", value: JSON.stringify(value ?? null, null, 1),
        onchange: (e) => {
          try { set(JSON.parse(e.target.value || "null")); e.target.setCustomValidity(""); this.changed(); }
          catch (_err) { e.target.setCustomValidity(gettext("Not valid JSON.")); e.target.reportValidity(); }
        } });
      input.value = JSON.stringify(value ?? null, null, 1);
    }
    row.append(label, input);
    return row;
  }

  arrayField(schema, items, path, set, label, row) {
    const ro = this.o.readOnly;
    const list = h("ol", { class: "oc-form-array" });
    items.forEach((item, index) => {
      const itemPath = `${path}.${index}`;
      const editor = this.field({ ...schema.items, title: `${index + 1}` }, item, itemPath, (v) => { items[index] = v; set(items); }, true);
      list.append(h("li", {}, editor, ro ? null : h("button", { type: "button", class: "oc-icon oc-danger", "aria-label": gettext("Remove"), title: gettext("Remove"),
        onclick: () => { items.splice(index, 1); set(items); this.changed(true); } }, "✕")));
    });
    row.append(label, list);
    if (!ro) {
      row.append(h("button", { type: "button", class: "oc-array-add", onclick: () => { items.push(defaultFor(schema.items)); set(items); this.changed(true); } }, gettext("Add")));
    }
    return row;
  }
}

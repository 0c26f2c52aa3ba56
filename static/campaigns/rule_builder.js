/* The visual rule builder: a tree of groups (and / or / except) and conditions over the catalog.

   It edits the rule JSON of docs/rules.md and nothing else: every menu comes from the builder's meta
   read (operators by type, aggregate functions, the function palette, schemas with fields and link
   sides), counts, rows, SQL and value distributions from the rule API. Used on the standalone page
   (audiences/admin_rule_builder.py) and inside Build audience's configuration form on the canvas. */

import { api, fmt, h, gettext, fill } from "./common.js";

const NUMERIC = new Set(["integer", "decimal", "float"]);
let metaCache = null;

export async function loadMeta(url) {
  if (!metaCache) metaCache = api("", url);
  return metaCache;
}

const clone = (value) => JSON.parse(JSON.stringify(value));
const emptyGroup = () => ({ type: "group", op: "and", children: [] });

export class RuleBuilder {
  /* options: {meta, apiBase, expressionUrl, dimension: () => dimension id, value, readOnly, onChange} */
  constructor(container, options) {
    this.container = container;
    this.o = options;
    this.meta = options.meta;
    this.root = options.value && options.value.type === "group" ? clone(options.value)
      : options.value ? { type: "group", op: "and", children: [clone(options.value)] } : emptyGroup();
    this.errors = [];
    this.render();
  }

  /* The rule: null when there is no condition (every row of the dimension). */
  value() {
    return this.root.children.length ? clone(this.root) : null;
  }

  setValue(rule) {
    this.root = rule && rule.type === "group" ? clone(rule) : rule ? { type: "group", op: "and", children: [clone(rule)] } : emptyGroup();
    this.changed();
  }

  setErrors(errors) {
    /* [{path: "children[0].value", message}] as the rule API returns them */
    this.errors = errors || [];
    this.render();
  }

  changed() {
    this.errors = [];
    clearTimeout(this.pendingRender);
    // A field's change fires while the focus moves on (Tab): redraw once it has landed, so it stays there.
    if (document.activeElement === document.body) this.pendingRender = setTimeout(() => this.render(), 0);
    else this.render();
    if (this.o.onChange) this.o.onChange(this.value());
  }

  dimensionInfo() {
    const id = Number(this.o.dimension());
    const dim = this.meta.dimensions.find((d) => d.id === id);
    return dim ? this.meta.catalog[dim.schema] : null;
  }

  schemaAt(scope) {
    /* The schema reached from the dimension by link names (the rows a where clause reads). */
    let schema = this.dimensionInfo();
    for (const name of scope) {
      const link = schema && schema.links.find((l) => l.name === name);
      schema = link ? this.meta.catalog[link.target] : null;
    }
    return schema;
  }

  fieldInfo(scope, path) {
    /* The field at a dotted path through single-valued links; null when unknown. */
    const parts = (path || "").split(".");
    let schema = this.schemaAt(scope);
    for (const name of parts.slice(0, -1)) {
      const link = schema && schema.links.find((l) => l.name === name);
      schema = link ? this.meta.catalog[link.target] : null;
    }
    return (schema && schema.fields.find((f) => f.name === parts[parts.length - 1])) || null;
  }

  fieldType(scope, path) {
    const field = this.fieldInfo(scope, path);
    return field ? field.type : null;
  }

  operatorsFor(type, { aggregate = false, personal = false } = {}) {
    /* The operators offered for a value of ``type``; on a personal field, only those the server
       allows this user (ADR 0004: emptiness and equality without the preview permission). */
    const limited = personal && this.meta.personal_operators;
    return this.meta.operators.filter((op) => (aggregate ? op.aggregate_ok : true)
      && (!type || type === "any" || op.types.includes(type))
      && (!limited || this.meta.personal_operators.includes(op.key)));
  }

  render() {
    clearTimeout(this.pendingRender);
    const refocus = this.focusSpot();
    const keep = this.openValues();
    fill(this.container, 
      h("div", { class: "oc-rule", role: "tree", "aria-label": gettext("Rule") }, this.renderNode(this.root, null, [], "")),
    );
    if (keep) keep();
    if (refocus) refocus();
    const orphans = this.errors.filter((e) => !this.container.querySelector(`[data-rule-path="${CSS.escape(e.path)}"]`));
    if (orphans.length) {
      this.container.prepend(h("ul", { class: "errorlist" }, orphans.map((e) => h("li", {}, `${e.path || gettext("Rule")}: ${e.message}`))));
    }
  }

  /* An open "Values…" list survives a redraw (one may land while it loads): put it back under the
     button of the same condition, unless that condition now reads another field. */
  openValues() {
    const list = this.container.querySelector(".oc-distribution");
    if (!list || !list.ocNode) return null;
    return () => {
      if (list.ocNode.field !== list.ocField) return;
      const button = [...this.container.querySelectorAll(".oc-rule-values")].find((el) => el.ocNode === list.ocNode);
      if (!button) return;
      button.after(list);
      button.setAttribute("aria-expanded", "true");
    };
  }

  /* Every change redraws the tree: keep the keyboard focus on the same control of the same node
     (its rule path, tag and class, and rank among those), else on that node's first control. */
  focusSpot() {
    const active = document.activeElement;
    if (!active || active === this.container || !this.container.contains(active)) return null;
    const nodeOf = (el) => el.closest("[data-rule-path]");
    const node = nodeOf(active);
    if (!node) return null;
    const path = node.dataset.rulePath;
    const alike = (root) => [...root.querySelectorAll(active.tagName)].filter((el) => el.className === active.className && nodeOf(el) === root);
    const rank = alike(node).indexOf(active);
    return () => {
      const again = this.container.querySelector(`[data-rule-path="${CSS.escape(path)}"]`);
      if (!again) return;
      const target = alike(again)[rank] || [...again.querySelectorAll("button, input, select, textarea")].find((el) => nodeOf(el) === again && !el.disabled);
      if (target) target.focus();
    };
  }

  errorsFor(path) {
    const mine = this.errors.filter((e) => e.path === path || (e.path.startsWith(path) && path && /^[.[]/.test(e.path.slice(path.length)) && !/children\[/.test(e.path.slice(path.length))));
    return mine.length ? h("ul", { class: "errorlist" }, mine.map((e) => h("li", {}, e.message))) : null;
  }

  tools(node, parent, index) {
    if (this.o.readOnly || !parent) return null;
    const siblings = parent.children;
    const move = (delta) => {
      const target = index + delta;
      if (target < 0 || target >= siblings.length) return;
      [siblings[index], siblings[target]] = [siblings[target], siblings[index]];
      this.changed();
    };
    return h("span", { class: "oc-rule-tools" },
      h("button", { type: "button", class: "oc-icon", title: gettext("Move up"), "aria-label": gettext("Move up"), disabled: index === 0, onclick: () => move(-1) }, "↑"),
      h("button", { type: "button", class: "oc-icon", title: gettext("Move down"), "aria-label": gettext("Move down"), disabled: index === siblings.length - 1, onclick: () => move(1) }, "↓"),
      h("button", { type: "button", class: "oc-icon", title: gettext("Group"), "aria-label": gettext("Group"), onclick: () => { siblings[index] = { type: "group", op: "and", children: [node] }; this.changed(); } }, "( )"),
      node.type === "group" ? h("button", { type: "button", class: "oc-icon", title: gettext("Ungroup"), "aria-label": gettext("Ungroup"), onclick: () => { siblings.splice(index, 1, ...node.children); this.changed(); } }, ")(") : null,
      h("button", { type: "button", class: "oc-icon oc-danger", title: gettext("Remove"), "aria-label": gettext("Remove"), onclick: () => { siblings.splice(index, 1); this.changed(); } }, "✕"),
    );
  }

  renderNode(node, parent, scope, path) {
    const kind = { group: "group", condition: "condition", exists: "collection", not_exists: "collection", aggregate: "aggregate", saved_filter: "saved", in_audience: "audience", not_in_audience: "audience" }[node.type];
    const index = parent ? parent.children.indexOf(node) : -1;
    const body = this[`render_${kind || "unknown"}`](node, scope, path);
    return h("div", { class: `oc-rule-node oc-rule-${kind || "unknown"}`, role: "treeitem", "data-rule-path": path },
      h("div", { class: "oc-rule-line" }, body, this.tools(node, parent, index)),
      kind === "group" ? null : this.errorsFor(path),
      kind === "group" ? this.renderChildren(node, scope, path) : null,
    );
  }

  render_unknown(node) {
    return h("code", {}, JSON.stringify(node));
  }

  render_group(node, scope, path) {
    const ro = this.o.readOnly;
    const add = (child) => { node.children.push(child); this.changed(); };
    const schema = this.schemaAt(scope);
    const collections = schema ? schema.links.filter((l) => l.collection) : [];
    return h("span", { class: "oc-rule-group-head" },
      h("select", {
        "aria-label": gettext("Combine the conditions with"), disabled: ro, class: "oc-rule-op",
        onchange: (e) => { node.op = e.target.value; this.changed(); },
      }, this.meta.group_ops.map((op) => h("option", { value: op, selected: (node.op || "and") === op }, { and: gettext("all of (and)"), or: gettext("any of (or)"), except: gettext("the first, except the others") }[op] || op))),
      ro ? null : h("button", { type: "button", class: "oc-add-condition", onclick: () => add({ type: "condition", field: "", operator: "equal", value: "" }) }, gettext("+ Condition")),
      ro ? null : h("button", { type: "button", class: "oc-add-group", onclick: () => add(emptyGroup()) }, gettext("+ Group")),
      ro || !collections.length ? null : h("button", { type: "button", class: "oc-add-exists", onclick: () => add({ type: "exists", link: collections[0].name, where: emptyGroup() }) }, gettext("+ Exists")),
      ro || !collections.length ? null : h("button", { type: "button", class: "oc-add-aggregate", onclick: () => add({ type: "aggregate", link: collections[0].name, function: "count", operator: "greater", value: 0 }) }, gettext("+ Aggregate")),
      ro || scope.length ? null : h("button", { type: "button", class: "oc-add-saved", onclick: () => add({ type: "saved_filter", id: 0, parameters: {} }) }, gettext("+ Saved filter")),
      ro || scope.length ? null : h("button", { type: "button", class: "oc-add-audience", onclick: () => add({ type: "in_audience", audience: 0 }) }, gettext("+ Audience")),
      this.errorsFor(path),
    );
  }

  renderChildren(node, scope, path) {
    const base = path ? `${path}.children` : "children";
    return h("div", { class: "oc-rule-children", role: "group" },
      node.children.length ? node.children.map((child, i) => this.renderNode(child, node, scope, `${base}[${i}]`))
        : h("p", { class: "oc-muted" }, gettext("No condition: every row.")));
  }

  /* --- the attribute picker: fields of the scope, walking single-valued links; collections offer
         exists / not exists / aggregates ------------------------------------------------------------ */
  picker(scope, anchor, onPick) {
    const close = () => { popup.remove(); anchor.focus(); };
    const list = h("div", { class: "oc-picker-list" });
    const popup = h("div", { class: "oc-picker", role: "dialog", "aria-label": gettext("Choose an attribute"),
      onkeydown: (e) => { if (e.key === "Escape") close(); } },
      h("div", { class: "oc-picker-head" }, h("strong", {}, gettext("Choose an attribute")), h("button", { type: "button", class: "oc-icon", "aria-label": gettext("Close"), onclick: close }, "✕")), list);
    const show = (prefix) => {
      const schema = this.schemaAt([...scope]) && this.walk(scope, prefix);
      fill(list, 
        prefix.length ? h("button", { type: "button", class: "oc-picker-back", onclick: () => show(prefix.slice(0, -1)) }, `← ${prefix.join(" › ")}`) : null,
        ...(schema ? schema.fields.map((f) => h("button", { type: "button", class: "oc-picker-field", "data-field": [...prefix, f.name].join("."),
          onclick: () => { close(); onPick({ kind: "field", path: [...prefix, f.name].join("."), type: f.type, personal: f.personal }); } },
          `${f.label}`, h("small", {}, ` ${f.type}${f.personal ? " · " + gettext("personal") : ""}`))) : []),
        ...(schema ? schema.links.map((l) => l.collection
          ? h("span", { class: "oc-picker-collection", "data-link": l.name }, `${l.label} `, h("small", {}, gettext("collection")),
            ...(prefix.length ? [h("small", {}, " " + gettext("(only from the first level)"))] : [
              h("button", { type: "button", class: "oc-picker-exists", onclick: () => { close(); onPick({ kind: "exists", link: l.name }); } }, gettext("exists")),
              h("button", { type: "button", class: "oc-picker-not-exists", onclick: () => { close(); onPick({ kind: "not_exists", link: l.name }); } }, gettext("does not exist")),
              h("button", { type: "button", class: "oc-picker-aggregate", onclick: () => { close(); onPick({ kind: "aggregate", link: l.name }); } }, gettext("aggregate")),
            ]))
          : h("button", { type: "button", class: "oc-picker-link", "data-link": l.name, onclick: () => show([...prefix, l.name]) }, `${l.label} ›`)) : []),
      );
      const first = list.querySelector("button");
      if (first) first.focus();
    };
    anchor.after(popup);
    show([]);
  }

  walk(scope, prefix) {
    let schema = this.schemaAt(scope);
    for (const name of prefix) {
      const link = schema && schema.links.find((l) => l.name === name);
      schema = link ? this.meta.catalog[link.target] : null;
    }
    return schema;
  }

  replaceNode(node, replacement) {
    for (const key of Object.keys(node)) delete node[key];
    Object.assign(node, replacement);
    this.changed();
  }

  operatorSelect(node, type, { aggregate = false, personal = false } = {}) {
    const ops = this.operatorsFor(type, { aggregate, personal });
    const current = this.meta.operators.find((o) => o.key === node.operator);
    if (current && !ops.includes(current)) ops.push(current); // a stored rule shows what it says (the server explains a refusal)
    return h("select", { class: "oc-rule-operator", "aria-label": gettext("Operator"), disabled: this.o.readOnly,
      onchange: (e) => {
        node.operator = e.target.value;
        const arity = this.arity(node.operator);
        delete node.value; delete node.values; delete node.expression; delete node.parameter;
        if (arity === "one") node.value = "";
        if (arity === "count") node.value = 7;
        if (arity === "two" || arity === "many") node.values = [];
        if (!this.meta.operators.find((o) => o.key === node.operator).case_option) delete node.case_insensitive;
        this.changed();
      } },
    ops.map((op) => h("option", { value: op.key, selected: op.key === node.operator }, op.label)));
  }

  arity(key) {
    const op = this.meta.operators.find((o) => o.key === key);
    return op ? op.arity : "one";
  }

  typed(value, type) {
    if (NUMERIC.has(type) && value !== "" && !Number.isNaN(Number(value))) return Number(value);
    if (type === "boolean") return value === "true" ? true : value === "false" ? false : value;
    return value;
  }

  valueEditor(node, type, scope, path) {
    const ro = this.o.readOnly;
    const arity = this.arity(node.operator);
    if (arity === "none") return null;
    const inputType = NUMERIC.has(type) || arity === "count" ? "number" : type === "date" ? "date" : "text";
    if (node.expression !== undefined) return this.expressionEditor(node, "expression", scope, path);
    if (node.parameter !== undefined) {
      return h("input", { class: "oc-rule-parameter", "aria-label": gettext("Parameter name"), value: node.parameter, disabled: ro, placeholder: gettext("parameter"), onchange: (e) => { node.parameter = e.target.value; this.changed(); } });
    }
    const listId = `oc-values-${Math.random().toString(36).slice(2)}`;
    const suggest = node.field && !scope.length && !ro ? h("button", { type: "button", class: "oc-rule-values", title: gettext("Show the most frequent values"),
      "aria-expanded": "false", onclick: (e) => this.distribution(node, e.currentTarget, arity) }, gettext("Values…")) : null;
    if (suggest) suggest.ocNode = node;
    if (arity === "one" || arity === "count") {
      return h("span", {},
        h("input", { class: "oc-rule-value", type: inputType, "aria-label": gettext("Value"), value: node.value ?? "", disabled: ro, list: listId, step: "any",
          onchange: (e) => { node.value = arity === "count" ? Number(e.target.value) : this.typed(e.target.value, type); this.changed(); } }),
        h("datalist", { id: listId }), suggest);
    }
    if (arity === "two") {
      const values = node.values || ["", ""];
      const set = (i) => (e) => { values[i] = this.typed(e.target.value, type); node.values = values; this.changed(); };
      return h("span", {},
        h("input", { class: "oc-rule-value", type: inputType, step: "any", "aria-label": gettext("Lower bound"), value: values[0] ?? "", disabled: ro, onchange: set(0) }),
        gettext(" and "),
        h("input", { class: "oc-rule-value", type: inputType, step: "any", "aria-label": gettext("Upper bound"), value: values[1] ?? "", disabled: ro, onchange: set(1) }));
    }
    return h("span", {},
      h("input", { class: "oc-rule-values-list", "aria-label": gettext("Values, separated by commas"), value: (node.values || []).join(", "), disabled: ro, size: 30,
        onchange: (e) => { node.values = e.target.value.split(",").map((v) => v.trim()).filter((v) => v !== "").map((v) => this.typed(v, type)); this.changed(); } }),
      suggest);
  }

  rightMode(node) {
    if (this.o.readOnly) return null;
    const mode = node.expression !== undefined ? "expression" : node.parameter !== undefined ? "parameter" : "value";
    return h("select", { class: "oc-rule-right", "aria-label": gettext("Compare with"),
      onchange: (e) => {
        delete node.value; delete node.values; delete node.expression; delete node.parameter;
        if (e.target.value === "expression") node.expression = "";
        else if (e.target.value === "parameter") node.parameter = "";
        else if (["many", "two"].includes(this.arity(node.operator))) node.values = [];
        else node.value = "";
        this.changed();
      } },
    ["value", "expression", "parameter"].map((m) => h("option", { value: m, selected: m === mode }, { value: gettext("a value"), expression: gettext("an expression"), parameter: gettext("a parameter") }[m])));
  }

  /* Opens the list of the field's most frequent values under the button; pressed again, closes it. */
  async distribution(node, button, arity) {
    const open = button.nextElementSibling;
    if (open && open.classList.contains("oc-distribution")) {
      open.remove();
      button.setAttribute("aria-expanded", "false");
      return;
    }
    const holder = h("div", { class: "oc-distribution", role: "listbox", "aria-label": gettext("Most frequent values") }, gettext("Loading…"));
    Object.assign(holder, { ocNode: node, ocField: node.field });
    button.after(holder);
    button.setAttribute("aria-expanded", "true");
    try {
      const data = await api(this.o.apiBase, "rules/distribution/", { method: "POST", body: { dimension: Number(this.o.dimension()), rule: null, field: node.field } });
      fill(holder, 
        ...data.values.map((v) => h("button", { type: "button", class: "oc-distribution-value", role: "option",
          onclick: () => {
            holder.ocNode = null; // chosen: the redraw closes the list (the focus stays in the condition)
            if (arity === "many") node.values = [...(node.values || []), v.value];
            else node.value = v.value;
            this.changed();
          } }, `${v.value === null ? gettext("(empty)") : v.value}`, h("small", {}, ` ${v.count} (${v.percent}%)`))),
        data.partial ? h("small", {}, gettext("Only the most frequent values are listed.")) : null);
    } catch (error) {
      fill(holder, h("span", { class: "errorlist" }, error.message));
    }
  }

  expressionEditor(node, key, scope, path) {
    const ro = this.o.readOnly;
    const box = h("span", { class: "oc-expression" });
    const problem = h("div", { class: "oc-expression-error", role: "alert" });
    const input = h("textarea", { class: "oc-expression-input", rows: 1, cols: 40, "aria-label": gettext("Expression"), disabled: ro, spellcheck: false }, node[key] || "");
    const check = async () => {
      node[key] = input.value;
      if (!input.value.trim()) return;
      try {
        const result = await api("", this.o.expressionUrl, { method: "POST", body: { dimension: Number(this.o.dimension()), expression: input.value, scope } });
        if (result.error) {
          const e = result.error;
          const at = e.offset ?? null;
          const text = input.value;
          fill(problem, 
            at === null ? null : h("code", { class: "oc-expression-mark" }, text.slice(0, at), h("mark", {}, text.slice(at, Math.max(at + 1, e.end_offset || at + 1)) || " "), text.slice(Math.max(at + 1, e.end_offset || at + 1))),
            at === null ? null : " ",
            h("span", { class: "oc-expression-message" }, at === null ? e.message : fmt(gettext("%(message)s (line %(line)s, column %(column)s)"), { message: e.message, line: e.line, column: e.column })),
            e.expected && e.expected.length ? h("small", {}, " " + fmt(gettext("expected: %(list)s"), { list: e.expected.join(", ") })) : null);
          // not while the user types in it (a function just inserted from the palette is incomplete)
          if (at !== null && document.activeElement !== input) input.setSelectionRange(at, Math.max(at + 1, e.end_offset || at + 1));
        } else {
          fill(problem, h("small", { class: "oc-ok" }, fmt(gettext("OK: %(type)s"), { type: result.type })));
        }
      } catch (error) {
        fill(problem, error.message);
      }
    };
    input.addEventListener("change", () => { node[key] = input.value; if (this.o.onChange) this.o.onChange(this.value()); check(); });
    const palette = ro ? null : h("details", { class: "oc-functions" }, h("summary", {}, gettext("Functions")),
      h("div", { class: "oc-functions-list" }, this.meta.functions.filter((f) => !f.aggregate && !f.window).map((f) => h("button", { type: "button", class: "oc-function", title: `${f.description}\n${f.example}`, "data-function": f.name,
        onclick: () => { const at = input.selectionStart ?? input.value.length; input.value = `${input.value.slice(0, at)}${f.name}()${input.value.slice(at)}`; input.focus(); input.setSelectionRange(at + f.name.length + 1, at + f.name.length + 1); input.dispatchEvent(new Event("change")); } },
      h("span", {}, f.signature), h("small", {}, ` ${f.family_label}`)))));
    fill(box, input, palette, problem);
    if (node[key]) setTimeout(check, 0);
    return box;
  }

  render_condition(node, scope, path) {
    const ro = this.o.readOnly;
    const leftMode = node.left !== undefined ? "expression" : "field";
    const type = leftMode === "field" ? this.fieldType(scope, node.field) : null;
    const fieldButton = h("button", { type: "button", class: "oc-rule-field", disabled: ro, "aria-haspopup": "dialog",
      onclick: (e) => this.picker(scope, e.target, (pick) => {
        if (pick.kind === "field") { node.field = pick.path; delete node.left; const ops = this.operatorsFor(pick.type, { personal: pick.personal }); if (!ops.find((o) => o.key === node.operator)) { node.operator = ops[0].key; } this.changed(); }
        else if (pick.kind === "aggregate") this.replaceNode(node, { type: "aggregate", link: pick.link, function: "count", operator: "greater", value: 0 });
        else this.replaceNode(node, { type: pick.kind, link: pick.link, where: emptyGroup() });
      }) }, node.field || gettext("Choose an attribute…"));
    const left = leftMode === "field" ? fieldButton : this.expressionEditor(node, "left", scope, path);
    const leftToggle = ro ? null : h("select", { class: "oc-rule-left", "aria-label": gettext("Left side"),
      onchange: (e) => { if (e.target.value === "expression") { delete node.field; node.left = ""; } else { delete node.left; node.field = ""; } this.changed(); } },
    h("option", { value: "field", selected: leftMode === "field" }, gettext("attribute")), h("option", { value: "expression", selected: leftMode === "expression" }, gettext("expression")));
    const op = this.meta.operators.find((o) => o.key === node.operator);
    const caseBox = op && op.case_option && type === "string" ? h("label", { class: "oc-rule-case" },
      h("input", { type: "checkbox", checked: !!node.case_insensitive, disabled: ro, onchange: (e) => { if (e.target.checked) node.case_insensitive = true; else delete node.case_insensitive; this.changed(); } }), gettext("ignore case")) : null;
    return h("span", { class: "oc-rule-condition-line" }, leftToggle, left, this.operatorSelect(node, type, { personal: leftMode === "field" && !!(this.fieldInfo(scope, node.field) || {}).personal }), this.arity(node.operator) === "none" ? null : this.rightMode(node), this.valueEditor(node, type, scope, path), caseBox);
  }

  linkSelect(node, scope) {
    const schema = this.schemaAt(scope);
    const links = schema ? schema.links.filter((l) => l.collection) : [];
    return h("select", { class: "oc-rule-link", "aria-label": gettext("Collection"), disabled: this.o.readOnly,
      onchange: (e) => { node.link = e.target.value; if (node.where) node.where = emptyGroup(); delete node.field; this.changed(); } },
    links.map((l) => h("option", { value: l.name, selected: l.name === node.link }, l.label)));
  }

  render_collection(node, scope, path) {
    const ro = this.o.readOnly;
    const where = node.where || emptyGroup();
    node.where = where;
    return h("div", { class: "oc-rule-collection-body" },
      h("span", {},
        h("select", { class: "oc-rule-exists", "aria-label": gettext("Exists or not"), disabled: ro, onchange: (e) => { node.type = e.target.value; this.changed(); } },
          h("option", { value: "exists", selected: node.type === "exists" }, gettext("at least one")),
          h("option", { value: "not_exists", selected: node.type === "not_exists" }, gettext("none of"))),
        this.linkSelect(node, scope), gettext(" such that:")),
      this.renderNode(where, null, [...scope, node.link], `${path}.where`));
  }

  render_aggregate(node, scope, path) {
    const ro = this.o.readOnly;
    const target = this.schemaAt([...scope, node.link]);
    const numericFields = target ? target.fields : [];
    const type = node.function === "count" || node.function === "count_distinct" ? "integer" : (target && (target.fields.find((f) => f.name === node.field) || {}).type) || "decimal";
    const whereToggle = ro ? null : h("label", {}, h("input", { type: "checkbox", class: "oc-rule-aggregate-where", checked: !!node.where,
      onchange: (e) => { if (e.target.checked) node.where = emptyGroup(); else delete node.where; this.changed(); } }), gettext("only rows where…"));
    return h("div", { class: "oc-rule-aggregate-body" },
      h("span", {},
        h("select", { class: "oc-rule-function", "aria-label": gettext("Aggregate"), disabled: ro,
          onchange: (e) => { node.function = e.target.value; if (node.function === "count") delete node.field; else if (!node.field && numericFields[0]) node.field = numericFields[0].name; this.changed(); } },
        this.meta.aggregate_functions.map((f) => h("option", { value: f, selected: f === node.function }, f))),
        gettext(" of "), this.linkSelect(node, scope),
        node.function === "count" ? null : h("select", { class: "oc-rule-aggregate-field", "aria-label": gettext("Field"), disabled: ro, onchange: (e) => { node.field = e.target.value; this.changed(); } },
          numericFields.map((f) => h("option", { value: f.name, selected: f.name === node.field }, f.label))),
        this.operatorSelect(node, type, { aggregate: true }), this.valueEditor(node, type, [...scope, node.link], path), whereToggle),
      node.where ? this.renderNode(node.where, null, [...scope, node.link], `${path}.where`) : null);
  }

  render_saved(node) {
    const ro = this.o.readOnly;
    const holder = h("span", { class: "oc-rule-saved" }, gettext("Loading…"));
    api(this.o.apiBase, `saved-filters/?dimension_id=${Number(this.o.dimension())}&limit=200`).then((data) => {
      const list = data.results || data;
      const chosen = list.find((f) => f.id === node.id);
      fill(holder, gettext("saved filter "),
        h("select", { "aria-label": gettext("Saved filter"), disabled: ro, onchange: (e) => { node.id = Number(e.target.value); node.parameters = {}; this.changed(); } },
          h("option", { value: 0 }, "—"), list.map((f) => h("option", { value: f.id, selected: f.id === node.id }, `${f.favourite ? "★ " : ""}${f.name}`))),
        ...(chosen ? (chosen.parameters || []).map((p) => h("label", {}, ` ${p.label || p.name} `,
          h("input", { value: (node.parameters || {})[p.name] ?? p.default ?? "", disabled: ro, onchange: (e) => { node.parameters = { ...(node.parameters || {}), [p.name]: this.typed(e.target.value, p.type) }; this.changed(); } }))) : []));
    }).catch((error) => fill(holder, error.message));
    return holder;
  }

  render_audience(node) {
    const ro = this.o.readOnly;
    const holder = h("span", { class: "oc-rule-audience" }, gettext("Loading…"));
    api(this.o.apiBase, `audiences/?dimension_id=${Number(this.o.dimension())}&limit=200`).then((data) => {
      const list = data.results || data;
      fill(holder, 
        h("select", { "aria-label": gettext("In or not in"), disabled: ro, onchange: (e) => { node.type = e.target.value; this.changed(); } },
          h("option", { value: "in_audience", selected: node.type === "in_audience" }, gettext("in audience")),
          h("option", { value: "not_in_audience", selected: node.type === "not_in_audience" }, gettext("not in audience"))),
        h("select", { "aria-label": gettext("Audience"), disabled: ro, onchange: (e) => { node.audience = Number(e.target.value); this.changed(); } },
          h("option", { value: 0 }, "—"), list.map((a) => h("option", { value: a.id, selected: a.id === node.audience }, a.name))));
    }).catch((error) => fill(holder, error.message));
    return holder;
  }
}

/* Calculate / View results / Code view under a builder; returns the panel element. */
export function ruleActions(builder, { apiBase, dimension }) {
  const out = h("div", { class: "oc-rule-output", "aria-live": "polite" });
  const body = () => ({ dimension: Number(dimension()), rule: builder.value() });
  const fail = (error) => {
    const ruleErrors = error.errors.filter((e) => e.field && e.field.startsWith("rule")).map((e) => ({ path: e.field.replace(/^rule\.?/, ""), message: e.message }));
    if (ruleErrors.length) builder.setErrors(ruleErrors);
    fill(out, h("p", { class: "errorlist" }, error.errors.length ? error.errors.map((e) => `${e.field || ""}: ${e.message}`).join("; ") : error.message));
  };
  const calculate = async () => {
    fill(out, gettext("Counting…"));
    try {
      const data = await api(apiBase, "rules/count/", { method: "POST", body: body() });
      fill(out, h("p", { class: "oc-count" }, fmt(gettext("%(count)s rows"), { count: data.count }), h("output", { class: "oc-count-value", hidden: true }, String(data.count))));
    } catch (error) { fail(error); }
  };
  const results = async () => {
    fill(out, gettext("Loading…"));
    try {
      const info = builder.dimensionInfo();
      const fields = info ? info.fields.filter((f) => !f.personal || builder.meta.may_preview_personal).slice(0, 8).map((f) => f.name) : [];
      const data = await api(apiBase, "rules/preview/", { method: "POST", body: { ...body(), fields, limit: 20 } });
      const columns = data.rows.length ? Object.keys(data.rows[0]) : fields;
      fill(out, h("table", { class: "oc-preview" }, h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, data.rows.map((row) => h("tr", {}, columns.map((c) => h("td", {}, row[c] === null ? "" : String(row[c]))))))),
      data.rows.length ? null : h("p", {}, gettext("No row.")));
    } catch (error) { fail(error); }
  };
  const code = async () => {
    try {
      const data = await api(apiBase, "rules/sql/", { method: "POST", body: body() });
      fill(out, h("pre", { class: "oc-sql" }, data.sql), h("p", {}, fmt(gettext("Parameters: %(params)s"), { params: JSON.stringify(data.params) })));
    } catch (error) { fail(error); }
  };
  const bar = h("div", { class: "oc-rule-actions" },
    h("button", { type: "button", class: "oc-calculate", onclick: calculate }, gettext("Calculate")),
    h("button", { type: "button", class: "oc-view-results", onclick: results }, gettext("View results")),
    h("button", { type: "button", class: "oc-code-view", onclick: code }, gettext("Code view")));
  return h("div", {}, bar, out);
}

/* The standalone rule builder page: pick a dimension, build a rule, count it, view rows and SQL, save
   it as a saved filter or an audience; saved filters listed with favourites first, applied with
   parameters (as a reference) or copied into the builder to edit (the saved one never changes). */

import { announce, api, fmt, h, readConfig, gettext, fill } from "./common.js";
import { loadMeta, RuleBuilder, ruleActions } from "./rule_builder.js";

const cfg = readConfig("oc-rule-config");
const $ = (id) => document.getElementById(id);

async function main() {
  const meta = await loadMeta(cfg.meta);
  const select = $("oc-dimension");
  const messages = $("oc-rule-messages");
  meta.dimensions.forEach((d) => select.append(h("option", { value: d.id }, `${d.label} (${d.schema})`)));
  const dimension = () => Number(select.value);
  const builder = new RuleBuilder($("oc-rule-builder"), { meta, apiBase: cfg.api, expressionUrl: cfg.expression, dimension, value: null, readOnly: false });
  fill($("oc-rule-actions"), ruleActions(builder, { apiBase: cfg.api, dimension }));
  select.addEventListener("change", () => { builder.setValue(null); loadSaved(); });

  const saveBox = $("oc-save-box");
  saveBox.hidden = !(cfg.maySaveFilter || cfg.maySaveAudience);
  $("oc-save-filter").hidden = !cfg.maySaveFilter;
  $("oc-save-audience").hidden = !cfg.maySaveAudience;
  const fail = (error) => announce(messages, error.errors && error.errors.length ? error.errors.map((e) => `${e.field || ""}: ${e.message}`).join("; ") : error.message, "error");
  $("oc-save-filter").addEventListener("click", async () => {
    try {
      const saved = await api(cfg.api, "saved-filters/", { method: "POST", body: {
        name: $("oc-save-name").value, description: $("oc-save-description").value, dimension: dimension(),
        rule: builder.value() || { type: "group", op: "and", children: [] }, visibility: $("oc-save-visibility").value,
        parameters: JSON.parse($("oc-save-parameters").value || "[]") } });
      announce(messages, fmt(gettext("Saved filter “%(name)s” saved."), { name: saved.name }), "success");
      loadSaved();
    } catch (error) { fail(error); }
  });
  $("oc-save-audience").addEventListener("click", async () => {
    try {
      const saved = await api(cfg.api, "audiences/", { method: "POST", body: {
        name: $("oc-save-name").value, description: $("oc-save-description").value, dimension: dimension(),
        kind: "static", rule: builder.value(), visibility: $("oc-save-visibility").value } });
      announce(messages, fmt(gettext("Audience “%(name)s” saved with %(count)s members."), { name: saved.name, count: saved.member_count ?? "?" }), "success");
    } catch (error) { fail(error); }
  });

  async function loadSaved() {
    const list = $("oc-saved-list");
    try {
      const data = await api(cfg.api, `saved-filters/?dimension_id=${dimension()}&limit=200`);
      const items = data.results || data;
      fill(list, ...(items.length ? items.map((f) => h("li", { "data-id": f.id },
        h("button", { type: "button", class: "oc-icon oc-favourite", "aria-pressed": String(!!f.favourite), title: gettext("Favourite"), "aria-label": fmt(gettext("Favourite: %(name)s"), { name: f.name }),
          onclick: async () => { await api(cfg.api, `saved-filters/${f.id}/favourite/`, { method: "POST" }); loadSaved(); } }, f.favourite ? "★" : "☆"),
        " ", h("strong", {}, f.name), " ",
        h("button", { type: "button", class: "oc-apply", onclick: () => applyBox(f) }, gettext("Apply")), " ",
        h("button", { type: "button", class: "oc-edit-copy", onclick: () => {
          builder.setValue(f.rule); // a copy (setValue clones); applying would need the parameters' values
          announce(messages, gettext("A copy was loaded: editing it does not change the saved filter."));
        } }, gettext("Edit a copy")))) : [h("li", {}, gettext("No saved filter for this dimension."))]));
    } catch (error) { fail(error); }
  }

  function applyBox(f) {
    const box = $("oc-apply-box");
    const inputs = (f.parameters || []).map((p) => [p, h("input", { value: p.default ?? "", "aria-label": p.label || p.name })]);
    fill(box, h("h3", {}, fmt(gettext("Apply “%(name)s”"), { name: f.name })),
      ...inputs.map(([p, input]) => h("p", {}, h("label", {}, `${p.label || p.name} `, input))),
      h("button", { type: "button", class: "button oc-apply-confirm", onclick: async () => {
        const parameters = Object.fromEntries(inputs.map(([p, input]) => [p.name, ["integer", "decimal", "float"].includes(p.type) && input.value !== "" ? Number(input.value) : input.value]));
        try {
          const result = await api(cfg.api, `saved-filters/${f.id}/apply/`, { method: "POST", body: { parameters } });
          const current = builder.value() || { type: "group", op: "and", children: [] };
          current.children.push(result.rule);
          builder.setValue(current);
          fill(box, );
        } catch (error) { fail(error); }
      } }, gettext("Add to the rule")));
    const first = box.querySelector("input, button");
    if (first) first.focus();
  }

  loadSaved();
  window.ocRuleBuilder = builder; // for the browser tests and the console
  document.body.classList.add("oc-rule-ready");
}

main().catch((error) => announce($("oc-rule-messages"), error.message, "error"));

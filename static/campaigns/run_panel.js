/* Running and monitoring on the canvas: run commands, a status mark on each activity, the count on
   every transition (polled while the run goes), working-table previews, the run's log and tasks.

   Every figure comes from GET /campaigns/{id}/runs/{run}/ (tasks, results, events); commands are the
   API's (runs/ POST, runs/{run}/stop|pause|resume|restart/). No command is offered to whoever may not
   start test runs; previews show rows only to profiles allowed to see personal data. */

import { announce, api, fmt, h, t, fill } from "./common.js";

const ACTIVE = new Set(["running", "paused"]);

export class RunMonitor {
  constructor(canvas, cfg) {
    this.canvas = canvas;
    this.cfg = cfg;
    this.base = cfg.api;
    this.runsUrl = `campaigns/${cfg.campaign}/runs/`;
    this.run = null;
    this.timer = null;
    this.filters = { level: "", activity: "", status: "", text: "" };
  }

  async start() {
    const page = await api(this.base, `${this.runsUrl}?limit=1`);
    const latest = (page.results || page)[0];
    if (latest) await this.load(latest.id);
    else this.render();
  }

  async load(runId) {
    this.run = await api(this.base, `${this.runsUrl}${runId}/`);
    this.apply();
    clearTimeout(this.timer);
    if (ACTIVE.has(this.run.status)) this.timer = setTimeout(() => this.load(runId).catch(() => {}), this.run.status === "running" ? 1200 : 4000);
  }

  apply() {
    const run = this.run;
    this.canvas.results = run ? run.results : [];
    this.canvas.tasks = run ? Object.fromEntries(run.tasks.map((task) => [task.activity_key, task])) : {};
    this.canvas.decorate();
    this.render();
    if (this.canvas.selectedTransition !== null || this.canvas.selected.size === 1) {
      const focused = document.activeElement;
      if (!focused || !this.canvas.panel.contains(focused)) this.canvas.showPanel();
    }
  }

  async command(name) {
    const messages = this.canvas.messages;
    try {
      if (name === "start") {
        if (this.canvas.dirty && this.cfg.editable && !(await this.canvas.save())) return;
        const run = await api(this.base, this.runsUrl, { method: "POST", body: { kind: "test" } });
        announce(messages, fmt(t("Test run #%(id)s started."), { id: run.id }), "success");
        await this.load(run.id);
      } else {
        await api(this.base, `${this.runsUrl}${this.run.id}/${name}/`, { method: "POST" });
        await this.load(this.run.id);
        announce(messages, { stop: t("Run stopped."), pause: t("Run paused."), resume: t("Run resumed."), restart: t("Test run restarted.") }[name], "success");
      }
    } catch (error) {
      announce(messages, error.errors && error.errors.length ? error.errors.map((e) => e.message).join(" ") : error.message, "error");
    }
  }

  render() {
    const box = document.getElementById("oc-run-controls");
    const run = this.run;
    const may = this.cfg.may_test_run;
    const button = (name, label) => h("button", { type: "button", class: "button", id: `oc-run-${name}`, onclick: () => this.command(name) }, label);
    const active = run && ACTIVE.has(run.status);
    fill(box, 
      h("h2", {}, t("Runs")),
      run ? h("p", { class: "oc-run-status", "data-status": run.status },
        fmt(t("Run #%(id)s (%(kind)s): %(status)s"), { id: run.id, kind: run.kind === "test" ? t("test") : t("live"), status: this.statusLabel(run.status) })) : h("p", {}, t("No run yet.")),
      may && !active ? button("start", t("Start a test run")) : null,
      may && run && run.status === "running" ? button("pause", t("Pause")) : null,
      may && run && run.status === "paused" ? button("resume", t("Resume")) : null,
      may && active ? button("stop", t("Stop")) : null,
      may && run && run.kind === "test" && !active ? button("restart", t("Restart")) : null,
      may ? null : h("p", { class: "help" }, t("Your profile may not run this campaign.")),
    );
    this.renderLog();
  }

  statusLabel(status) {
    return { running: t("running"), paused: t("paused"), done: t("done"), failed: t("failed"), stopped: t("stopped") }[status] || status;
  }

  taskSummary(key) {
    const task = this.run && this.run.tasks.find((x) => x.activity_key === key);
    if (!task) return null;
    return h("div", { class: "oc-task-summary" }, h("h3", {}, t("Last run")),
      h("dl", {},
        h("dt", {}, t("Status")), h("dd", {}, task.status),
        h("dt", {}, t("In")), h("dd", {}, task.input_count ?? "-"),
        h("dt", {}, t("Out")), h("dd", {}, task.output_count ?? "-"),
        task.duration_ms !== null ? [h("dt", {}, t("Duration")), h("dd", {}, `${task.duration_ms} ms`)] : null,
        task.message ? [h("dt", {}, t("Message")), h("dd", {}, task.message)] : null,
        task.error ? [h("dt", {}, t("Error")), h("dd", { class: "errorlist" }, task.error)] : null));
  }

  resultPanel(tr) {
    const result = this.run && this.run.results.find((r) => r.source_key === tr.source && r.output === (tr.output || "out"));
    if (!result) return h("p", { class: "help" }, t("No population on this transition in the last run."));
    const box = h("div", { class: "oc-result" },
      h("h3", {}, t("Population")),
      h("p", {}, result.activated ? h("strong", { class: "oc-result-count" }, fmt(t("%(count)s rows"), { count: Number(result.row_count).toLocaleString() })) : t("Not activated in this run.")),
      result.dimension ? h("p", {}, fmt(t("Dimension: %(name)s"), { name: result.dimension })) : null);
    if (!result.activated || !result.table_name) return box;
    const columns = h("ul", { class: "oc-result-columns" }, (result.columns || []).map((c) => h("li", {}, c.name, h("small", {}, ` ${c.type || ""}${c.personal ? " · " + t("personal") : ""}`))));
    box.append(h("h4", {}, t("Working table columns")), columns);
    if (!this.cfg.may_preview_rows) {
      box.append(h("p", { class: "oc-no-preview" }, t("Your profile may not see the rows of working tables (the preview permission is needed).")));
      return box;
    }
    const rows = h("div", { class: "oc-result-rows" }, t("Loading…"));
    box.append(rows);
    api(this.base, `${this.runsUrl}${this.run.id}/results/${result.id}/preview/?limit=10`).then((data) => {
      fill(rows, h("table", { class: "oc-preview" },
        h("thead", {}, h("tr", {}, data.columns.map((c) => h("th", { scope: "col" }, c.name)))),
        h("tbody", {}, data.rows.map((row) => h("tr", {}, row.map((v) => h("td", {}, v === null ? "" : String(v))))))));
    }).catch((error) => fill(rows, h("p", { class: "errorlist" }, error.message)));
    return box;
  }

  renderLog() {
    const box = document.getElementById("oc-run-log");
    if (!box) return;
    const run = this.run;
    if (!run) { fill(box, ); return; }
    const f = this.filters;
    const keys = [...new Set([...run.tasks.map((x) => x.activity_key), ...run.events.map((e) => e.activity_key).filter(Boolean)])];
    const select = (name, label, options) => h("label", {}, `${label} `, h("select", { class: `oc-filter-${name}`, onchange: (e) => { f[name] = e.target.value; this.renderLog(); } },
      h("option", { value: "" }, t("all")), options.map((o) => h("option", { value: o, selected: f[name] === o }, o))));
    const events = run.events.filter((e) => (!f.level || e.level === f.level) && (!f.activity || e.activity_key === f.activity) && (!f.text || e.message.toLowerCase().includes(f.text.toLowerCase())));
    const tasks = run.tasks.filter((x) => (!f.status || x.status === f.status) && (!f.activity || x.activity_key === f.activity));
    const focusedClass = document.activeElement && box.contains(document.activeElement) ? document.activeElement.className : null;
    fill(box, 
      h("h2", {}, fmt(t("Log and tasks of run #%(id)s"), { id: run.id })),
      h("div", { class: "oc-log-filters" },
        select("activity", t("Activity"), keys),
        select("level", t("Level"), [...new Set(run.events.map((e) => e.level))]),
        select("status", t("Task status"), [...new Set(run.tasks.map((x) => x.status))]),
        h("label", {}, `${t("Search")} `, h("input", { type: "search", class: "oc-filter-text", value: f.text, oninput: (e) => { f.text = e.target.value; this.renderLog(); } }))),
      h("table", { class: "oc-tasks" }, h("caption", {}, t("Tasks")),
        h("thead", {}, h("tr", {}, [t("Activity"), t("Status"), t("In"), t("Out"), t("Duration"), t("Message")].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, tasks.map((x) => h("tr", { "data-activity": x.activity_key }, h("td", {}, x.activity_key), h("td", {}, x.status), h("td", {}, x.input_count ?? ""), h("td", {}, x.output_count ?? ""), h("td", {}, x.duration_ms === null ? "" : `${x.duration_ms} ms`), h("td", {}, x.error || x.message))))),
      h("table", { class: "oc-events" }, h("caption", {}, t("Log")),
        h("thead", {}, h("tr", {}, [t("At"), t("Level"), t("Activity"), t("Message")].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, events.map((e) => h("tr", {}, h("td", {}, new Date(e.at).toLocaleTimeString()), h("td", {}, e.level), h("td", {}, e.activity_key), h("td", {}, e.message))))),
    );
    if (focusedClass) {
      const again = box.querySelector(`.${focusedClass.split(" ")[0]}`);
      if (again) again.focus();
    }
  }
}

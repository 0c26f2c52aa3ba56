/* Running and monitoring on the canvas: run commands, a status mark on each activity, the count on
   every transition (polled while the run goes), working-table previews, the run's log and tasks.

   Every figure comes from GET /campaigns/{id}/runs/{run}/ (tasks, results, events); commands are the
   API's (runs/ POST, runs/{run}/stop|pause|resume|restart/). No command is offered to whoever may not
   start test runs; previews show rows only to profiles allowed to see personal data.

   Send holds of a live run come from GET /campaigns/{id}/holds/; "Confirm send" (POST
   holds/{task}/confirm/) is offered only to profiles with confirm_send (Approvers, Administrators). */

import { announce, api, fmt, h, gettext, fill } from "./common.js";

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
    this.holds = await this.loadHolds();
    this.apply();
    clearTimeout(this.timer);
    if (ACTIVE.has(this.run.status)) this.timer = setTimeout(() => this.load(runId).catch(() => {}), this.run.status === "running" ? 1200 : 4000);
  }

  /* The send holds of the shown run, by activity key (only a live run can hold a send). */
  async loadHolds() {
    const run = this.run;
    if (!run || run.kind !== "live" || !ACTIVE.has(run.status)) return {};
    const page = await api(this.base, `campaigns/${this.cfg.campaign}/holds/`);
    return Object.fromEntries((page.results || page).filter((hold) => hold.run === run.id).map((hold) => [hold.activity_key, hold]));
  }

  async confirmSend(hold) {
    const messages = this.canvas.messages;
    try {
      await api(this.base, `campaigns/${this.cfg.campaign}/holds/${hold.id}/confirm/`, { method: "POST" });
      announce(messages, fmt(gettext("Send of %(activity)s confirmed."), { activity: hold.activity_key }), "success");
      await this.load(this.run.id);
    } catch (error) {
      announce(messages, error.errors && error.errors.length ? error.errors.map((e) => e.message).join(" ") : error.message, "error");
    }
  }

  /* The waiting state of a held activity, and its "Confirm send" button for whoever may confirm. */
  holdControls(hold) {
    if (!hold) return null;
    const may = this.cfg.may_confirm_send;
    return h("div", { class: "oc-hold", "data-activity": hold.activity_key },
      h("p", { class: "oc-hold-waiting" }, may
        ? fmt(gettext("%(activity)s is waiting for you to confirm the send."), { activity: hold.activity_key })
        : fmt(gettext("%(activity)s is waiting for an Approver or Administrator to confirm the send."), { activity: hold.activity_key })),
      may ? h("button", { type: "button", class: "button default oc-confirm-send", "data-activity": hold.activity_key, onclick: (event) => { event.target.disabled = true; this.confirmSend(hold); } }, gettext("Confirm send")) : null);
  }

  apply() {
    const run = this.run;
    this.canvas.holds = this.holds || {};
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
        announce(messages, fmt(gettext("Test run #%(id)s started."), { id: run.id }), "success");
        await this.load(run.id);
      } else {
        await api(this.base, `${this.runsUrl}${this.run.id}/${name}/`, { method: "POST" });
        await this.load(this.run.id);
        announce(messages, { stop: gettext("Run stopped."), pause: gettext("Run paused."), resume: gettext("Run resumed."), restart: gettext("Test run restarted.") }[name], "success");
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
      h("h2", {}, gettext("Runs")),
      run ? h("p", { class: "oc-run-status", "data-status": run.status },
        fmt(gettext("Run #%(id)s (%(kind)s): %(status)s"), { id: run.id, kind: run.kind === "test" ? gettext("test") : gettext("live"), status: this.statusLabel(run.status) })) : h("p", {}, gettext("No run yet.")),
      may && !active ? button("start", gettext("Start a test run")) : null,
      may && run && run.status === "running" ? button("pause", gettext("Pause")) : null,
      may && run && run.status === "paused" ? button("resume", gettext("Resume")) : null,
      may && active ? button("stop", gettext("Stop")) : null,
      may && run && run.kind === "test" && !active ? button("restart", gettext("Restart")) : null,
      may ? null : h("p", { class: "help" }, gettext("Your profile may not run this campaign.")),
      Object.values(this.holds || {}).map((hold) => this.holdControls(hold)),
    );
    this.renderLog();
  }

  statusLabel(status) {
    return { running: gettext("running"), paused: gettext("paused"), done: gettext("done"), failed: gettext("failed"), stopped: gettext("stopped") }[status] || status;
  }

  /* A log level in the page's language (the API's value stays in data-level). */
  levelLabel(level) {
    return { info: gettext("info"), warning: gettext("warning"), error: gettext("error") }[level] || level;
  }

  /* A task's status in the page's language; the API keeps the machine value (data-status). */
  taskStatusLabel(status) {
    return { queued: gettext("queued"), running: gettext("running"), waiting: gettext("waiting"), paused: gettext("paused"), done: gettext("done"), failed: gettext("failed"), skipped: gettext("skipped") }[status] || status;
  }

  taskSummary(key) {
    const task = this.run && this.run.tasks.find((x) => x.activity_key === key);
    if (!task) return null;
    return h("div", { class: "oc-task-summary" }, h("h3", {}, gettext("Last run")),
      this.holdControls((this.holds || {})[key]),
      h("dl", {},
        h("dt", {}, gettext("Status")), h("dd", { class: "oc-task-status", "data-status": task.status }, this.taskStatusLabel(task.status)),
        h("dt", {}, gettext("In")), h("dd", {}, task.input_count ?? "-"),
        h("dt", {}, gettext("Out")), h("dd", {}, task.output_count ?? "-"),
        task.duration_ms !== null ? [h("dt", {}, gettext("Duration")), h("dd", {}, `${task.duration_ms} ms`)] : null,
        task.message ? [h("dt", {}, gettext("Message")), h("dd", {}, task.message)] : null,
        task.error ? [h("dt", {}, gettext("Error")), h("dd", { class: "errorlist" }, task.error)] : null));
  }

  resultPanel(tr) {
    const result = this.run && this.run.results.find((r) => r.source_key === tr.source && r.output === (tr.output || "out"));
    if (!result) return h("p", { class: "help" }, gettext("No population on this transition in the last run."));
    const box = h("div", { class: "oc-result" },
      h("h3", {}, gettext("Population")),
      h("p", {}, result.activated ? h("strong", { class: "oc-result-count" }, fmt(gettext("%(count)s rows"), { count: Number(result.row_count).toLocaleString() })) : gettext("Not activated in this run.")),
      result.dimension ? h("p", {}, fmt(gettext("Dimension: %(name)s"), { name: result.dimension })) : null);
    if (!result.activated || !result.table_name) return box;
    const columns = h("ul", { class: "oc-result-columns" }, (result.columns || []).map((c) => h("li", {}, c.name, h("small", {}, ` ${c.type || ""}${c.personal ? " · " + gettext("personal") : ""}`))));
    box.append(h("h4", {}, gettext("Working table columns")), columns);
    if (!this.cfg.may_preview_rows) {
      box.append(h("p", { class: "oc-no-preview" }, gettext("Your profile may not see the rows of working tables (the preview permission is needed).")));
      return box;
    }
    const rows = h("div", { class: "oc-result-rows" }, gettext("Loading…"));
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
    const select = (name, label, options, text = (o) => o) => h("label", {}, `${label} `, h("select", { class: `oc-filter-${name}`, onchange: (e) => { f[name] = e.target.value; this.renderLog(); } },
      h("option", { value: "" }, gettext("all")), options.map((o) => h("option", { value: o, selected: f[name] === o }, text(o)))));
    const events = run.events.filter((e) => (!f.level || e.level === f.level) && (!f.activity || e.activity_key === f.activity) && (!f.text || e.message.toLowerCase().includes(f.text.toLowerCase())));
    const tasks = run.tasks.filter((x) => (!f.status || x.status === f.status) && (!f.activity || x.activity_key === f.activity));
    const focusedClass = document.activeElement && box.contains(document.activeElement) ? document.activeElement.className : null;
    fill(box, 
      h("h2", {}, fmt(gettext("Log and tasks of run #%(id)s"), { id: run.id })),
      h("div", { class: "oc-log-filters" },
        select("activity", gettext("Activity"), keys),
        select("level", gettext("Level"), [...new Set(run.events.map((e) => e.level))], (o) => this.levelLabel(o)),
        select("status", gettext("Task status"), [...new Set(run.tasks.map((x) => x.status))], (o) => this.taskStatusLabel(o)),
        h("label", {}, `${gettext("Search")} `, h("input", { type: "search", class: "oc-filter-text", value: f.text, oninput: (e) => { f.text = e.target.value; this.renderLog(); } }))),
      h("table", { class: "oc-tasks" }, h("caption", {}, gettext("Tasks")),
        h("thead", {}, h("tr", {}, [gettext("Activity"), gettext("Status"), gettext("In"), gettext("Out"), gettext("Duration"), gettext("Message")].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, tasks.map((x) => h("tr", { "data-activity": x.activity_key }, h("td", {}, x.activity_key), h("td", { "data-status": x.status }, this.taskStatusLabel(x.status)), h("td", {}, x.input_count ?? ""), h("td", {}, x.output_count ?? ""), h("td", {}, x.duration_ms === null ? "" : `${x.duration_ms} ms`), h("td", {}, x.error || x.message))))),
      h("table", { class: "oc-events" }, h("caption", {}, gettext("Log")),
        h("thead", {}, h("tr", {}, [gettext("At"), gettext("Level"), gettext("Activity"), gettext("Message")].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, events.map((e) => h("tr", {}, h("td", {}, new Date(e.at).toLocaleTimeString()), h("td", { "data-level": e.level }, this.levelLabel(e.level)), h("td", {}, e.activity_key), h("td", {}, e.message))))),
    );
    if (focusedClass) {
      const again = box.querySelector(`.${focusedClass.split(" ")[0]}`);
      if (again) again.focus();
    }
  }
}

/* The campaign page's "Live run" section: while the live run is active (or messages are pending), the
   counts are read again every few seconds from the existing API — the run's status from
   campaigns/{id}/runs/{run}/, its deliveries from deliveries/?run_id=, and each channel activity's
   figures from deliveries/report/?run=&activity_key= (channels/reporting, the same selector the page
   was drawn with). The server decided who sees the section; the API checks the same again. */

import { api } from "../campaigns/common.js";

const panel = document.getElementById("oc-live-run");
const configNode = document.getElementById("oc-live-run-config");

if (panel && configNode) {
  const config = JSON.parse(configNode.textContent);
  const body = panel.querySelector(".oc-live-table tbody");
  const totalRow = panel.querySelector(".oc-live-total");
  const statusNode = panel.querySelector(".oc-live-run-status");
  const note = panel.querySelector(".oc-live-refresh");
  const activeRunStatuses = new Set(["running", "paused"]);

  const setFigures = (row, figures) => {
    for (const key of config.columns) {
      const cell = row.querySelector(`td[data-figure="${key}"]`);
      const value = String(figures[key] ?? "–");
      if (cell && cell.textContent !== value) cell.textContent = value;
    }
  };

  const rowFor = (delivery) => {
    const found = [...body.querySelectorAll("tr[data-activity]")].find(
      (row) => row.dataset.activity === delivery.activity_key,
    );
    if (found) return found;
    body.querySelector(".oc-live-empty")?.remove();
    const row = document.createElement("tr");
    row.dataset.activity = delivery.activity_key;
    const head = document.createElement("th");
    head.scope = "row";
    const link = document.createElement("a");
    const query = new URLSearchParams({ run: config.run, activity: delivery.activity_key });
    link.href = `${config.reportUrl}?${query}`;
    link.textContent = delivery.activity_label || delivery.activity_key;
    head.append(link);
    const channel = document.createElement("td");
    channel.textContent = config.channels[delivery.channel] || delivery.channel;
    const status = document.createElement("td");
    status.dataset.field = "status";
    row.append(head, channel, status);
    for (const key of config.columns) {
      const cell = document.createElement("td");
      cell.dataset.figure = key;
      row.append(cell);
    }
    body.insertBefore(row, totalRow);
    return row;
  };

  async function refresh() {
    const run = await api(config.api, `campaigns/${config.campaign}/runs/${config.run}/`);
    statusNode.dataset.status = run.status;
    statusNode.textContent = config.runStatuses[run.status] || run.status;
    const list = await api(config.api, `deliveries/?run_id=${config.run}&is_proof=false&limit=100`);
    const seen = new Set();
    for (const delivery of list.results) {
      if (seen.has(delivery.activity_key)) continue;
      seen.add(delivery.activity_key);
      const row = rowFor(delivery);
      const status = row.querySelector('td[data-field="status"]');
      status.dataset.status = delivery.status;
      status.textContent = config.deliveryStatuses[delivery.status] || delivery.status;
      const query = new URLSearchParams({ run: config.run, activity_key: delivery.activity_key });
      setFigures(row, (await api(config.api, `deliveries/report/?${query}`)).figures);
    }
    const total = (await api(config.api, `deliveries/report/?run=${config.run}`)).figures;
    setFigures(totalRow, total);
    return activeRunStatuses.has(run.status) || total.pending > 0;
  }

  async function poll() {
    let again = true;
    try {
      again = await refresh();
      panel.dataset.refreshedAt = new Date().toISOString();
    } catch (error) {
      note.textContent = config.messages.failed.replace("%(error)s", error.message);
      again = !(error.status >= 400 && error.status < 500); // signed out or no longer allowed: stop
    }
    if (again) window.setTimeout(poll, config.pollSeconds * 1000);
    else {
      panel.dataset.settled = "true";
      note.textContent = "";
    }
  }

  if (config.active) window.setTimeout(poll, config.pollSeconds * 1000);
  else panel.dataset.settled = "true";
}

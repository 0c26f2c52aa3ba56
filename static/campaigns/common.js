/* Shared by the canvas and the rule builder: the REST API with the session and CSRF token, the one
   JSON error shape, small DOM helpers. Strings go through Django's JavaScript catalog (gettext). */

export const gettext = (text) => (window.gettext ? window.gettext(text) : text);
export const fmt = (text, values) => (window.interpolate ? window.interpolate(text, values, true) : text);

function csrfToken() {
  const field = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (field) return field.value;
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export class ApiError extends Error {
  /* status, code, detail and errors ([{field, code, message}]) from api/errors.py */
  constructor(status, body) {
    super((body && body.detail) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.code) || "error";
    this.errors = (body && body.errors) || [];
    this.body = body;
  }
}

export async function api(base, path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    headers["X-CSRFToken"] = csrfToken();
  }
  const response = await fetch(path.startsWith("/") ? path : base + path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (_error) {
    data = { detail: text.slice(0, 200) };
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/* h("button", {class: "x", onclick: fn}, "text", child) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function readConfig(id) {
  return JSON.parse(document.getElementById(id).textContent);
}

/* A polite live region for status messages (screen readers hear them too). */
export function announce(region, text, level = "info") {
  region.textContent = text;
  region.className = `oc-message oc-message-${level}`;
  region.hidden = !text;
}

/* replaceChildren without the DOM's habit of printing null and undefined as text */
export function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

// ledgerlink web admin: every screen is built from the public REST API (/api/v1) with the
// session cookie and its CSRF token. No framework, no build step; text from the server is
// always set as text (never as HTML).

const main = document.getElementById("main");
let session = null; // {user, role, csrf_token}

// ---------- DOM helpers ----------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function show(title, ...content) {
  document.title = `${title} — ledgerlink`;
  main.replaceChildren(h("h1", {}, title), ...content);
  main.focus();
}

function notice(text) {
  const n = document.getElementById("notice");
  n.textContent = text;
  if (text) setTimeout(() => { if (n.textContent === text) n.textContent = ""; }, 8000);
}

function when(unix) {
  return unix ? new Date(unix * 1000).toLocaleString() : "";
}

function flag(name) {
  return h("span", { class: `flag flag-${name}` }, name.charAt(0).toUpperCase() + name.slice(1));
}

// A modal question with the lines it is about; resolves true when confirmed.
function confirmDialog(title, lines, yes) {
  return new Promise((resolve) => {
    const dialog = h("dialog", { id: "confirm", "aria-labelledby": "confirm-title" },
      h("h2", { id: "confirm-title" }, title),
      h("ul", { id: "confirm-lines" }, lines.map((l) => h("li", {}, l))),
      h("div", { class: "row" },
        h("button", { type: "button", class: "danger", id: "confirm-yes", onclick: () => { dialog.close(); resolve(true); } }, yes),
        h("button", { type: "button", class: "secondary", id: "confirm-no", onclick: () => { dialog.close(); resolve(false); } }, "Cancel")));
    dialog.addEventListener("close", () => { dialog.remove(); resolve(false); });
    document.body.append(dialog);
    dialog.showModal();
  });
}

// ---------- API ----------

class ApiError extends Error {
  constructor(status, detail, problems) { super(detail); this.status = status; this.problems = problems || []; }
}

async function api(method, path, body, raw) {
  const headers = {};
  if (method !== "GET" && session && session.csrf_token) headers["x-csrf-token"] = session.csrf_token;
  let payload;
  if (raw !== undefined) { payload = raw; headers["content-type"] = "application/octet-stream"; }
  else if (body !== undefined) { payload = JSON.stringify(body); headers["content-type"] = "application/json"; }
  const res = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  if (res.status === 401 && path !== "/api/v1/session") {
    location.assign(`/signin?next=${encodeURIComponent(location.pathname + location.search)}`);
    throw new ApiError(401, "signed out");
  }
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new ApiError(res.status, (data && data.detail) || `${res.status}`, data && data.problems);
  return data;
}

function errorBox(e) {
  return h("p", { class: "error", role: "alert" }, e.message || String(e));
}

// ---------- screens ----------

async function signIn() {
  const next = new URLSearchParams(location.search).get("next") || "/";
  const err = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "form", id: "signin-form" },
    h("label", { for: "name" }, "User name"),
    h("input", { type: "text", id: "name", name: "name", autocomplete: "username", required: true }),
    h("label", { for: "password" }, "Password"),
    h("input", { type: "password", id: "password", name: "password", autocomplete: "current-password", required: true }),
    h("div", { class: "row" }, h("button", { type: "submit", id: "signin" }, "Sign in")),
    err);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    try {
      await api("POST", "/api/v1/session", { name: form.name.value, password: form.password.value });
      // Only a path on this server (never another origin).
      location.assign(next.startsWith("/") && !next.startsWith("//") ? next : "/");
    } catch (e) { err.textContent = e.message; }
  });
  show("Sign in", form);
}

async function integrations() {
  const [conns, connectors] = await Promise.all([
    api("GET", "/api/v1/connections?limit=500"),
    api("GET", "/api/v1/connectors?limit=500"),
  ]);
  const runs = await api("GET", "/api/v1/runs?limit=200");
  const lastRun = (name) => runs.items.find((r) => r.connection === name);
  // A grant covering several organisations waits for a choice.
  const tenants = {};
  await Promise.all(conns.items.filter((c) => c.health === "error").map(async (c) => {
    try {
      const t = await api("GET", `/api/v1/connections/${encodeURIComponent(c.name)}/tenants`);
      if (t.pending && t.offered.length) tenants[c.name] = t.offered;
    } catch (_) { /* not an OAuth connection */ }
  }));
  const chooser = (name, offered) => {
    const select = h("select", { "aria-label": `Organisation for ${name}`, "data-tenant-choice": name },
      offered.map((t) => h("option", { value: t.id }, t.name)));
    return h("div", { class: "row" }, select,
      h("button", { type: "button", "data-action": "choose-tenant", onclick: async () => {
        try {
          await api("PUT", `/api/v1/connections/${encodeURIComponent(name)}/tenants`, { tenant: select.value });
          notice(`${name} now uses ${select.selectedOptions[0].textContent}.`);
          await integrations();
        } catch (e) { notice(e.message); }
      } }, "Use this organisation"));
  };
  const rows = conns.items.map((c) => {
    const last = lastRun(c.name);
    return h("tr", { "data-connection": c.name },
      h("td", {}, h("a", { href: `/connections/${encodeURIComponent(c.name)}` }, c.name)),
      h("td", {}, c.connector),
      h("td", {}, h("span", { class: `badge badge-${c.health}` }, c.health.replace(/-/g, " ")),
        c.status_message ? h("div", { class: "muted" }, c.status_message) : null,
        tenants[c.name] ? chooser(c.name, tenants[c.name]) : null),
      h("td", {}, last ? h("a", { href: `/runs/${last.id}` }, `run ${last.id}: ${last.status}, ${when(last.started_at)}`) : h("span", { class: "muted" }, "none")),
      h("td", {},
        h("button", { type: "button", class: "secondary", "data-action": "connect", onclick: () => connect(c.name) }, "Connect"), " ",
        h("button", { type: "button", class: "secondary", "data-action": "check", onclick: () => check(c.name) }, "Check"), " ",
        h("button", { type: "button", class: "danger", "data-action": "remove", onclick: () => remove(c.name) }, "Remove")));
  });
  const table = h("table", { id: "connections" },
    h("thead", {}, h("tr", {}, ["Connection", "Connector", "Health", "Last run", ""].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 5, class: "muted" }, "No connections yet: add one below."))));
  const plugins = h("table", { id: "plugins" },
    h("thead", {}, h("tr", {}, ["Connector", "Version", "Origin", "Status", "Capabilities", "Allowed hosts"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, connectors.items.map((p) => h("tr", {},
      h("td", {}, p.name), h("td", {}, p.version || ""), h("td", {}, p.source), h("td", {}, p.status),
      h("td", {}, p.capabilities.join(", ")), h("td", {}, p.allowed_hosts.join(", "))))));
  show("Integrations", table, h("h2", {}, "Add connection"), addForm(connectors.items), h("h2", {}, "Connectors"), plugins);
}

function addForm(connectors) {
  const usable = connectors.filter((c) => c.status === "current");
  const fields = h("div", { id: "settings-fields" });
  const err = h("p", { class: "error", role: "alert" });
  const select = h("select", { id: "connector", name: "connector" },
    usable.map((c) => h("option", { value: c.name }, `${c.name} ${c.version || ""}`)));
  const drawFields = async () => {
    fields.replaceChildren();
    const detail = await api("GET", `/api/v1/connectors/${encodeURIComponent(select.value)}`);
    for (const s of detail.settings || []) {
      const id = `setting-${s.key}`;
      // Marked, not enforced here: some (an OAuth tenant) are filled in by connecting, and
      // the server says what is missing.
      fields.append(h("label", { for: id }, s.key, s.required ? " (required)" : ""),
        h("input", { type: "text", id, name: id, "data-setting": s.key, value: s.default || "" }),
        s.description ? h("div", { class: "muted" }, s.description) : null);
    }
    const auth = detail.auth && detail.auth.kind;
    if (auth === "oauth2") {
      fields.append(h("label", { for: "client_id" }, "OAuth client id (required)"),
        h("input", { type: "text", id: "client_id", required: true }),
        h("label", { for: "client_secret" }, "OAuth client secret (required)"),
        h("input", { type: "password", id: "client_secret", autocomplete: "off", required: true }));
    } else if (auth === "api-key") {
      fields.append(h("label", { for: "api_key" }, "API key (required)"),
        h("input", { type: "password", id: "api_key", autocomplete: "off", required: true }));
    }
  };
  select.addEventListener("change", () => drawFields().catch((e) => { err.textContent = e.message; }));
  const form = h("form", { class: "form", id: "add-connection" },
    h("label", { for: "conn-name" }, "Name (required)"), h("input", { type: "text", id: "conn-name", required: true }),
    h("label", { for: "connector" }, "Connector"), select,
    fields,
    h("label", { for: "sandbox" }, "Sandbox URL (optional: a `ledgerlink sandbox` to talk to instead of the vendor)"),
    h("input", { type: "text", id: "sandbox", placeholder: "http://127.0.0.1:…" }),
    h("div", { class: "row" }, h("button", { type: "submit", id: "add" }, "Add connection")), err);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    const settings = {};
    for (const input of fields.querySelectorAll("[data-setting]")) if (input.value) settings[input.dataset.setting] = input.value;
    const body = { name: form.querySelector("#conn-name").value, connector: select.value, settings };
    const sandbox = form.querySelector("#sandbox").value.trim();
    if (sandbox) body.sandbox = sandbox;
    for (const k of ["client_id", "client_secret", "api_key"]) {
      const input = form.querySelector(`#${k}`);
      if (input && input.value) body[k] = input.value;
    }
    try {
      await api("POST", "/api/v1/connections", body);
      notice(`Added connection ${body.name}.`);
      await integrations();
    } catch (e) { err.textContent = e.message; }
  });
  if (usable.length) drawFields().catch((e) => { err.textContent = e.message; });
  return form;
}

async function connect(name) {
  try {
    const a = await api("GET", `/api/v1/connections/${encodeURIComponent(name)}/connect`);
    location.assign(a.authorize_url);
  } catch (e) { notice(e.message); }
}

async function check(name) {
  try {
    const c = await api("POST", `/api/v1/connections/${encodeURIComponent(name)}/check`);
    notice(`${name}: ${c.ok ? "works" : "does not work"} — ${c.message}`);
    await integrations();
  } catch (e) { notice(e.message); }
}

async function remove(name) {
  try {
    // What goes, by name (never a value), before anything goes.
    const r = await api("GET", `/api/v1/connections/${encodeURIComponent(name)}/removal`);
    const lines = [r.revokes_at ? `Revokes ledgerlink's access at ${r.revokes_at} first.` : "Nothing to revoke at the vendor."];
    lines.push(r.vault_items.length ? `Deletes from the vault: ${r.vault_items.join(", ")}.` : "Nothing in the vault.");
    const tenant = r.settings.filter((k) => k.startsWith("tenant-"));
    const others = r.settings.filter((k) => !k.startsWith("tenant-"));
    if (tenant.length) lines.push(`Deletes its tenant choice (${tenant.join(", ")}).`);
    if (others.length) lines.push(`Deletes its ${tenant.length ? "other " : ""}settings: ${others.join(", ")}.`);
    lines.push("Its runs and their reports stay.");
    if (!(await confirmDialog(`Remove connection ${name}?`, lines, "Remove"))) return;
  } catch (e) { notice(e.message); return; }
  try {
    const r = await api("DELETE", `/api/v1/connections/${encodeURIComponent(name)}`);
    notice(r.message);
    await integrations();
  } catch (e) { notice(e.message); }
}

// ---------- transfers ----------

const OPTIONS = [
  { id: "customers", label: "Customers", entity: "customers" },
  { id: "jobs", label: "Invoice Jobs", entity: "job-invoices" },
  { id: "contracts", label: "Service Contracts", entity: "contract-invoices" },
];

async function transfers(name) {
  const params = new URLSearchParams(location.search);
  const option = OPTIONS.find((o) => o.id === params.get("option")) || OPTIONS[0];
  const tabs = h("div", { class: "tabs", role: "tablist" }, OPTIONS.map((o) =>
    h("button", { type: "button", role: "tab", "aria-selected": String(o === option), id: `tab-${o.id}`,
      onclick: () => { history.pushState(null, "", `?option=${o.id}`); route(); } }, o.label)));
  const direction = h("select", { id: "direction" },
    h("option", { value: "push" }, "Tracker Pro → accounts"), h("option", { value: "pull" }, "Accounts → Tracker Pro"));
  const area = h("div", { id: "plan" });
  const compareButton = h("button", { type: "button", id: "compare" }, "Compare");
  compareButton.addEventListener("click", async () => {
    compareButton.disabled = true;
    area.replaceChildren(h("p", {}, "Comparing…"));
    try {
      const body = { entity: option.entity };
      if (option.id === "customers") body.direction = direction.value;
      const plan = await api("POST", `/api/v1/connections/${encodeURIComponent(name)}/compare`, body);
      history.replaceState(null, "", `?option=${option.id}&plan=${plan.plan}`);
      await planTable(area, plan.plan);
    } catch (e) { area.replaceChildren(errorBox(e)); }
    compareButton.disabled = false;
  });
  show(`Transfers: ${name}`, tabs,
    h("div", { class: "row" }, option.id === "customers" ? [h("label", { for: "direction" }, "Direction"), direction] : null, compareButton),
    area);
  const existing = params.get("plan");
  if (existing) await planTable(area, Number(existing));
}

async function planTable(area, planId) {
  const selected = new Set();
  let flagFilter = "";
  let search = "";
  let cursor = null;
  const cursors = [];
  const body = h("tbody");
  const status = h("p", { id: "plan-status", "aria-live": "polite" });
  const counts = h("p", { id: "plan-counts" });
  const err = h("p", { class: "error", role: "alert" });
  const filter = h("select", { id: "flag-filter", "aria-label": "Show rows flagged" },
    h("option", { value: "" }, "All flags"), ["add", "update", "unchanged", "conflict", "locked"].map((f) => h("option", { value: f }, f)));
  const searchBox = h("input", { type: "search", id: "search", placeholder: "Search key, name, customer", "aria-label": "Search rows" });
  const prev = h("button", { type: "button", class: "secondary", id: "prev" }, "Previous");
  const next = h("button", { type: "button", class: "secondary", id: "next" }, "Next");
  let page = null;

  const load = async () => {
    const q = new URLSearchParams({ limit: "100" });
    if (flagFilter) q.set("flag", flagFilter);
    if (search) q.set("q", search);
    if (cursor) q.set("cursor", cursor);
    page = await api("GET", `/api/v1/plans/${planId}?${q}`);
    counts.textContent = ["add", "update", "unchanged", "conflict", "locked"]
      .filter((f) => page.counts[f]).map((f) => `${page.counts[f]} ${f}`).join(" · ") || "Nothing to compare.";
    body.replaceChildren(...page.rows.map((r) => {
      const sendable = r.flag !== "unchanged" && r.flag !== "locked";
      const box = h("input", { type: "checkbox", "aria-label": `Select ${r.key}`, "data-key": r.key,
        disabled: !sendable, checked: selected.has(r.key) });
      box.addEventListener("change", () => { box.checked ? selected.add(r.key) : selected.delete(r.key); status.textContent = `${selected.size} selected`; });
      const notes = [];
      if (r.creates_customer) notes.push(h("div", { class: "muted" }, "Customer created or matched first"));
      if (r.not_undoable) notes.push(h("div", { class: "muted" }, `Rollback cannot undo: ${r.not_undoable}`));
      const diffs = r.diffs.length ? h("details", {}, h("summary", {}, `${r.diffs.length} field difference(s)`),
        h("table", { class: "diff" }, h("thead", {}, h("tr", {}, h("th", {}, "Field"), h("th", {}, "Tracker Pro"), h("th", {}, "Accounts"))),
          h("tbody", {}, r.diffs.map((d) => h("tr", {}, h("td", {}, d.field), h("td", {}, d.home ?? "—"), h("td", {}, d.remote ?? "—")))))) : null;
      return h("tr", { "data-key": r.key, "data-flag": r.flag },
        h("td", {}, box), h("td", {}, flag(r.flag)), h("td", {}, r.key), h("td", {}, r.name),
        h("td", {}, r.customer || ""), h("td", {}, r.total || ""), h("td", {}, r.reason, notes, diffs));
    }));
    prev.disabled = cursors.length === 0;
    next.disabled = !page.next_cursor;
    status.textContent = `${page.matching} row(s) shown by the filter; ${selected.size} selected`;
  };
  filter.addEventListener("change", () => { flagFilter = filter.value; cursor = null; cursors.length = 0; load().catch((e) => { err.textContent = e.message; }); });
  searchBox.addEventListener("change", () => { search = searchBox.value; cursor = null; cursors.length = 0; load().catch((e) => { err.textContent = e.message; }); });
  next.addEventListener("click", () => { cursors.push(cursor); cursor = page.next_cursor; load(); });
  prev.addEventListener("click", () => { cursor = cursors.pop() || null; load(); });

  const start = async (pick, dryRun) => {
    err.textContent = "";
    const req = { pick, dry_run: dryRun };
    if (pick === "keys") {
      if (!selected.size) { err.textContent = "Tick the rows to send first (or choose all adds / all updates)."; return; }
      req.keys = [...selected];
    }
    try {
      const job = await api("POST", `/api/v1/plans/${planId}/apply`, req);
      location.assign(`/jobs/${job.id}`);
    } catch (e) { err.textContent = e.message; }
  };
  const actions = h("div", { class: "row" },
    h("button", { type: "button", class: "secondary", id: "select-adds", onclick: () => start("adds", false) }, "Sync all adds"),
    h("button", { type: "button", class: "secondary", id: "select-updates", onclick: () => start("updates", false) }, "Sync all updates"),
    h("button", { type: "button", class: "secondary", id: "dry-run", onclick: () => start("keys", true) }, "Dry run"),
    h("button", { type: "button", id: "start-sync", onclick: () => start("keys", false) }, "Start Sync"));
  area.replaceChildren(
    h("h2", {}, `Plan ${planId}`), counts,
    h("div", { class: "row" }, filter, searchBox, prev, next), status,
    h("table", { id: "plan-rows" },
      h("thead", {}, h("tr", {}, ["", "Flag", "Key", "Name", "Customer", "Total", "Why"].map((t) => h("th", { scope: "col" }, t)))),
      body),
    actions, err);
  await load();
}

// ---------- progress and report ----------

async function jobPage(id) {
  const bar = h("progress", { id: "progress", max: "1", value: "0", "aria-label": "Progress" });
  const what = h("p", { id: "job-status", "aria-live": "polite" }, "Waiting for the job to start…");
  const tally = h("p", { id: "job-tally" });
  const wait = h("p", { id: "vendor-wait", class: "muted", "aria-live": "polite" });
  const link = h("p", { id: "job-result" });
  show(`Job ${id}`, bar, what, tally, wait, link);
  const render = (job) => {
    const p = job.progress || {};
    if (p.total > 0) { bar.max = p.total; bar.value = p.done; }
    if (job.status === "succeeded") { bar.max = 1; bar.value = 1; }
    const pct = bar.max > 0 ? Math.round((bar.value / bar.max) * 100) : 0;
    what.textContent = `${job.status}: ${p.what || job.kind} — ${p.done || 0} of ${p.total || 0} (${pct} %)`;
    tally.textContent = `${p.created || 0} created, ${p.updated || 0} updated, ${p.failed || 0} failed so far`;
    const w = p.vendor_wait;
    wait.textContent = w ? `Waiting ${Math.ceil(w.wait_ms / 1000)} s for ${w.vendor}'s call limit (ledgerlink paces itself to the vendor's rate limit).` : "";
    if (job.error) link.replaceChildren(h("span", { class: "error" }, job.error));
    if (job.run_id) link.append(" ", h("a", { href: `/runs/${job.run_id}`, id: "report-link" }, `Report of run ${job.run_id}`));
  };
  render(await api("GET", `/api/v1/jobs/${id}`));
  const events = new EventSource(`/api/v1/jobs/${id}/events`);
  events.addEventListener("progress", (ev) => render(JSON.parse(ev.data)));
  events.addEventListener("end", (ev) => { link.replaceChildren(); render(JSON.parse(ev.data)); events.close(); });
}

async function runsPage() {
  const runs = await api("GET", "/api/v1/runs?limit=100");
  show("Runs", h("table", { id: "runs" },
    h("thead", {}, h("tr", {}, ["Run", "Connection", "What", "Started", "Status"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, runs.items.map((r) => h("tr", {},
      h("td", {}, h("a", { href: `/runs/${r.id}` }, String(r.id))), h("td", {}, h("a", { href: `/connections/${encodeURIComponent(r.connection)}` }, r.connection)),
      h("td", {}, `${r.entity} ${r.direction}${r.dry_run ? " (dry run)" : ""}`), h("td", {}, when(r.started_at)), h("td", {}, r.status))))));
}

async function runPage(id) {
  const run = await api("GET", `/api/v1/runs/${id}`);
  const items = [];
  let cursor = null;
  do {
    const q = new URLSearchParams({ limit: "500" });
    if (cursor) q.set("cursor", cursor);
    const page = await api("GET", `/api/v1/runs/${id}/items?${q}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < 5000);
  const tally = {};
  for (const i of items) tally[i.outcome] = (tally[i.outcome] || 0) + 1;
  const outcome = h("select", { id: "outcome-filter", "aria-label": "Show records" },
    h("option", { value: "" }, "All records"), Object.keys(tally).map((o) => h("option", { value: o }, o)));
  const body = h("tbody");
  const draw = () => body.replaceChildren(...items.filter((i) => !outcome.value || i.outcome === outcome.value).map((i) =>
    h("tr", { "data-key": i.home_key || "" }, h("td", {}, i.home_key || ""), h("td", {}, i.remote_id || ""), h("td", {}, i.name),
      h("td", {}, i.outcome), h("td", {}, i.reason))));
  outcome.addEventListener("change", draw);
  draw();
  const err = h("p", { class: "error", role: "alert" });
  const rollback = h("button", { type: "button", class: "danger", id: "rollback" }, "Roll back");
  rollback.addEventListener("click", async () => {
    const created = items.filter((i) => i.outcome === "created").length;
    if (!confirm(`Roll back run ${id}? ${created} record(s) it created are deleted or voided in the target; records it updated keep their new values (an update cannot be undone).`)) return;
    try {
      const job = await api("POST", `/api/v1/runs/${id}/rollback`, {});
      location.assign(`/jobs/${job.id}`);
    } catch (e) { err.textContent = e.message; }
  });
  show(`Run ${id}: ${run.entity} ${run.direction} on ${run.connection}`,
    h("p", { id: "run-summary" }, `${run.status}${run.dry_run ? " (dry run)" : ""}, started ${when(run.started_at)}. `,
      Object.entries(tally).map(([k, v]) => `${v} ${k}`).join(", ") || "No records."),
    h("div", { class: "row" }, outcome,
      h("a", { class: "button secondary", id: "export-csv", href: `/api/v1/runs/${id}/export?format=csv&records=all`, download: `run-${id}.csv` }, "Export CSV"),
      rollback),
    h("table", { id: "run-items" }, h("thead", {}, h("tr", {}, ["Tracker Pro", "Target id", "Name", "Outcome", "Why"].map((t) => h("th", { scope: "col" }, t)))), body),
    err);
}

// ---------- Tracker Pro data and activity ----------

async function dataPage() {
  const home = await api("GET", "/api/v1/home");
  const err = h("div", { role: "alert", id: "import-errors" });
  const file = h("input", { type: "file", id: "book-file", accept: ".json,.csv" });
  const upload = h("button", { type: "button", id: "import" }, "Import");
  upload.addEventListener("click", async () => {
    err.replaceChildren();
    const f = file.files[0];
    if (!f) { err.replaceChildren(h("p", { class: "error" }, "Choose a .json or .csv file first.")); return; }
    const format = f.name.toLowerCase().endsWith(".csv") ? "csv" : "json";
    try {
      const counts = await api("POST", `/api/v1/home/import?format=${format}`, undefined, await f.arrayBuffer());
      notice(`Imported ${f.name}: ${JSON.stringify(counts)}`);
      await dataPage();
    } catch (e) {
      // The importer lists every problem by file, line and field; nothing was imported.
      if (!e.problems.length) { err.replaceChildren(h("p", { class: "error" }, e.message)); return; }
      err.replaceChildren(
        h("p", { class: "error" }, `Nothing was imported: ${f.name} has ${e.problems.length} problem${e.problems.length === 1 ? "" : "s"}.`),
        h("table", { id: "import-problems" },
          h("thead", {}, h("tr", {}, ["File", "Line", "Field", "Problem"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, e.problems.map((p) => h("tr", {},
            h("td", {}, p.file === "upload.json" || p.file === "upload.csv" ? f.name : p.file),
            h("td", {}, p.line === null || p.line === undefined ? "" : String(p.line)),
            h("td", {}, p.field || ""), h("td", {}, p.message))))));
    }
  });
  const customerId = h("input", { type: "text", id: "flag-customer", "aria-label": "Customer id", placeholder: "Customer id, e.g. C5" });
  const customerFlag = async (on) => {
    err.replaceChildren();
    try {
      await api("PUT", `/api/v1/home/customers/${encodeURIComponent(customerId.value)}/flags`, { integration: on });
      notice(`${on ? "Set" : "Cleared"} the integration flag of ${customerId.value}.`);
      await dataPage();
    } catch (e) { err.replaceChildren(h("p", { class: "error" }, e.message)); }
  };
  const flagsArea = h("div", { id: "flag-records" });
  show("Tracker Pro data",
    h("table", { id: "home-counts" }, h("tbody", {},
      h("tr", {}, h("th", { scope: "row" }, "Customers"), h("td", {}, `${home.customers.total} (${home.customers.flagged_for_integration} flagged for integration)`)),
      h("tr", {}, h("th", { scope: "row" }, "Jobs"), h("td", {}, `${home.jobs.total} (${home.jobs.closed_and_ready} closed and ready for invoice)`)),
      h("tr", {}, h("th", { scope: "row" }, "Service contracts"), h("td", {}, String(home.contracts))),
      h("tr", {}, h("th", { scope: "row" }, "Contract invoices"), h("td", {}, `${home.contract_invoices.total} (${home.contract_invoices.ready} ready)`)))),
    h("h2", {}, "Import a book"),
    h("div", { class: "row" }, h("label", { for: "book-file" }, "File (JSON or CSV)"), file, upload),
    err,
    h("h2", {}, "Set Flags"),
    h("p", { class: "muted" }, "Tick closed jobs or contract invoices and Set Flags: both Ready-for-Invoice flags are set, so the next sync includes them (Clear Flags keeps them out)."),
    flagsArea,
    h("h2", {}, "Customer integration flag"),
    h("div", { class: "row" }, customerId,
      h("button", { type: "button", class: "secondary", id: "set-customer-flag", onclick: () => customerFlag(true) }, "Set flag"),
      h("button", { type: "button", class: "secondary", id: "clear-customer-flag", onclick: () => customerFlag(false) }, "Clear flag")),
    h("p", {}, h("a", { href: "/api/v1/home/export?format=csv", download: "home-book-csv.zip" }, "Export the book (CSV files)")));
  await flagTable(flagsArea);
}

// The closed jobs or contract invoices a page at a time, each with its two flags; tick
// rows, then Set Flags / Clear Flags.
async function flagTable(area) {
  const kinds = [
    { id: "jobs", label: "Closed Jobs", status: "closed" },
    { id: "contract-invoices", label: "Contract Invoices", status: "generated" },
  ];
  let kind = kinds[0];
  let cursor = null;
  const cursors = [];
  const ticked = new Set();
  const body = h("tbody");
  const status = h("p", { id: "flag-status", "aria-live": "polite" });
  const err = h("p", { class: "error", role: "alert" });
  const prev = h("button", { type: "button", class: "secondary", id: "flags-prev" }, "Previous");
  const next = h("button", { type: "button", class: "secondary", id: "flags-next" }, "Next");
  const tabs = h("div", { class: "tabs", role: "tablist" });
  let page = null;
  const yesNo = (on) => h("span", { class: on ? "flag flag-add" : "flag flag-unchanged" }, on ? "Yes" : "No");
  const load = async () => {
    const q = new URLSearchParams({ limit: "50", status: kind.status });
    if (cursor) q.set("cursor", cursor);
    page = await api("GET", `/api/v1/home/${kind.id}?${q}`);
    tabs.replaceChildren(...kinds.map((k) => h("button", { type: "button", role: "tab", id: `flags-tab-${k.id}`, "aria-selected": String(k === kind),
      onclick: () => { kind = k; cursor = null; cursors.length = 0; ticked.clear(); load().catch((e) => { err.textContent = e.message; }); } }, k.label)));
    body.replaceChildren(...(page.items.length ? page.items.map((r) => {
      const box = h("input", { type: "checkbox", "aria-label": `Select ${r.number}`, "data-id": r.id, checked: ticked.has(r.id) });
      box.addEventListener("change", () => { box.checked ? ticked.add(r.id) : ticked.delete(r.id); status.textContent = `${ticked.size} selected`; });
      return h("tr", { "data-id": r.id },
        h("td", {}, box), h("td", {}, r.number), h("td", {}, r.customer_id), h("td", {}, r.invoice_date), h("td", {}, r.total),
        h("td", { "data-flag": "1" }, yesNo(r.ready_for_invoice_1)), h("td", { "data-flag": "2" }, yesNo(r.ready_for_invoice_2)),
        h("td", {}, r.due ? "in the next sync" : "not in the next sync"));
    }) : [h("tr", {}, h("td", { colspan: 8, class: "muted" }, `No ${kind.label.toLowerCase()}.`))]));
    prev.disabled = cursors.length === 0;
    next.disabled = !page.next_cursor;
    status.textContent = `${page.matching} ${kind.label.toLowerCase()}; ${ticked.size} selected`;
  };
  next.addEventListener("click", () => { cursors.push(cursor); cursor = page.next_cursor; load().catch((e) => { err.textContent = e.message; }); });
  prev.addEventListener("click", () => { cursor = cursors.pop() || null; load().catch((e) => { err.textContent = e.message; }); });
  const setFlags = async (on) => {
    err.textContent = "";
    if (!ticked.size) { err.textContent = "Tick the rows to flag first."; return; }
    try {
      for (const id of ticked) await api("PUT", `/api/v1/home/${kind.id}/${encodeURIComponent(id)}/flags`, { ready: on });
      notice(`${on ? "Set" : "Cleared"} the flags of ${ticked.size} record(s).`);
      ticked.clear();
      await load();
    } catch (e) { err.textContent = e.message; }
  };
  area.replaceChildren(tabs,
    h("table", { id: "flag-table" },
      h("thead", {}, h("tr", {}, ["", "Number", "Customer", "Date", "Total", "Ready for Invoice 1", "Ready for Invoice 2", "Next sync"].map((t) => h("th", { scope: "col" }, t)))),
      body),
    h("div", { class: "row" }, prev, next,
      h("button", { type: "button", id: "set-flags", onclick: () => setFlags(true) }, "Set Flags"),
      h("button", { type: "button", class: "secondary", id: "clear-flags", onclick: () => setFlags(false) }, "Clear Flags")),
    status, err);
  await load();
}

async function activityPage() {
  const parts = [];
  if (session.role !== "operator") {
    const audit = await api("GET", "/api/v1/audit?limit=100");
    parts.push(h("h2", {}, "Audit log"), h("table", { id: "audit" },
      h("thead", {}, h("tr", {}, ["When", "Who", "What", "Detail"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, audit.items.map((a) => h("tr", {}, h("td", {}, when(a.at)), h("td", {}, a.actor || "(cli)"), h("td", {}, a.action), h("td", {}, a.detail))))));
  }
  const schedules = await api("GET", "/api/v1/schedules");
  const admin = session.role === "admin";
  const toggle = (s) => h("button", { type: "button", class: "secondary", "data-action": s.paused ? "resume" : "pause", onclick: async () => {
    try { await api("PATCH", `/api/v1/schedules/${s.id}`, { paused: !s.paused }); await activityPage(); } catch (e) { notice(e.message); }
  } }, s.paused ? "Resume" : "Pause");
  const rows = schedules.items.map((s) => h("tr", { "data-schedule": String(s.id) },
    h("td", {}, String(s.id)), h("td", {}, s.connection), h("td", {}, s.transfer),
    h("td", {}, `${s.cron} (${s.timezone})`), h("td", { class: "next-run" }, s.paused ? "paused" : when(s.next_run_at)),
    h("td", {}, admin ? toggle(s) : null)));
  parts.push(h("h2", {}, "Schedules"), h("table", { id: "schedules" },
    h("thead", {}, h("tr", {}, ["Id", "Connection", "Transfer", "Cron", "Next run", ""].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 6, class: "muted" }, "No schedules.")))));
  if (admin) parts.push(h("h2", {}, "Add a schedule"), await scheduleForm());
  show("Activity", ...parts);
}

const TRANSFERS = [
  ["customers", "Customers: Tracker Pro → accounts"],
  ["customers-pull", "Customers: accounts → Tracker Pro"],
  ["customers-pull-delta", "Customers: accounts → Tracker Pro, changes only"],
  ["job-invoices", "Invoice Jobs"],
  ["contract-invoices", "Service Contracts"],
  ["push-job-invoices", "Invoice Jobs, every due one (no compare)"],
  ["push-contract-invoices", "Service Contracts, every due one (no compare)"],
];

// The server checks the cron expression, time zone and connection; its message is shown.
async function scheduleForm() {
  const conns = await api("GET", "/api/v1/connections?limit=500");
  const err = h("p", { class: "error", role: "alert", id: "schedule-error" });
  const connection = h("select", { id: "schedule-connection" }, conns.items.map((c) => h("option", { value: c.name }, c.name)));
  const transfer = h("select", { id: "schedule-transfer" }, TRANSFERS.map(([v, label]) => h("option", { value: v }, label)));
  const cron = h("input", { type: "text", id: "schedule-cron", required: true, placeholder: "0 2 * * *" });
  const timezone = h("input", { type: "text", id: "schedule-timezone", placeholder: "UTC" });
  const form = h("form", { class: "form", id: "add-schedule" },
    h("label", { for: "schedule-connection" }, "Connection"), connection,
    h("label", { for: "schedule-transfer" }, "What to run"), transfer,
    h("label", { for: "schedule-cron" }, "When (cron: minute hour day month weekday)"), cron,
    h("label", { for: "schedule-timezone" }, "Time zone (optional, IANA name; UTC when empty)"), timezone,
    h("div", { class: "row" }, h("button", { type: "submit", id: "add-schedule-button" }, "Add schedule")), err);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    const body = { connection: connection.value, transfer: transfer.value, cron: cron.value };
    if (timezone.value.trim()) body.timezone = timezone.value.trim();
    try {
      const made = await api("POST", "/api/v1/schedules", body);
      notice(`Added schedule ${made.id}: next run ${when(made.next_run_at)}.`);
      await activityPage();
    } catch (e) { err.textContent = e.message; }
  });
  return form;
}

// ---------- routing ----------

async function route() {
  const path = location.pathname;
  try {
    if (path === "/signin") return await signIn();
    for (const a of document.querySelectorAll("header nav a")) {
      if (a.getAttribute("href") === path) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    }
    let m;
    if (path === "/integrations") return await integrations();
    if ((m = path.match(/^\/connections\/([^/]+)$/))) return await transfers(decodeURIComponent(m[1]));
    if ((m = path.match(/^\/jobs\/(\d+)$/))) return await jobPage(Number(m[1]));
    if ((m = path.match(/^\/runs\/(\d+)$/))) return await runPage(Number(m[1]));
    if (path === "/runs") return await runsPage();
    if (path === "/data") return await dataPage();
    if (path === "/activity") return await activityPage();
    show("Not found", h("p", {}, `There is no page ${path}.`));
  } catch (e) {
    show("Error", errorBox(e));
  }
}

async function start() {
  if (location.pathname !== "/signin") {
    session = await api("GET", "/api/v1/session");
    const top = document.getElementById("top");
    top.hidden = false;
    document.getElementById("who").textContent = `${session.user} (${session.role})`;
    for (const a of top.querySelectorAll("[data-role=admin]")) if (session.role !== "admin") a.remove();
    document.getElementById("signout").addEventListener("click", async () => {
      await api("DELETE", "/api/v1/session");
      location.assign("/signin");
    });
  }
  window.addEventListener("popstate", route);
  await route();
}

start().catch((e) => show("Error", errorBox(e)));

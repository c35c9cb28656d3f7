// pgferry status page: polls the controller's JSON API every second and redraws. No dependencies.
"use strict";
(function () {
  const POLL_MS = 1000;
  const MAX_WINDOW_MS = 10 * 60 * 1000;
  const MIN_WINDOW_MS = 60 * 1000;
  const COLORS = ["#1a6fd1", "#d9480f", "#2b8a3e", "#862e9c", "#c92a2a", "#5c940d"];
  const STATE_CLASS = { RUNNING: "run", HELD: "warn", WAITING: "warn", FINISHED: "ok", FAILED: "bad", STOPPED: "bad",
                        INTERRUPTED: "warn", IDLE: "muted" };
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c == null ? "" : c);
    return e;
  }

  function bytes(n) {
    if (n == null || n < 0) return "–";
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)) + " " + units[i];
  }

  function seconds(s) {
    if (s == null) return "";
    if (s < 60) return s.toFixed(s < 10 ? 1 : 0) + " s";
    const m = Math.floor(s / 60);
    if (m < 60) return m + " m " + Math.round(s % 60) + " s";
    return Math.floor(m / 60) + " h " + (m % 60) + " m";
  }

  function clock(iso) {
    const d = new Date(iso);
    return isNaN(d) ? (iso || "") : d.toLocaleTimeString([], { hour12: false });
  }

  // ./demo saves this page with the API answers embedded: render those once instead of polling a controller
  const SNAPSHOT = window.PGFERRY_SNAPSHOT;

  async function getJson(path) {
    if (SNAPSHOT) return SNAPSHOT[path] === undefined ? null : SNAPSHOT[path];
    const r = await fetch(path, { cache: "no-store" });
    if (r.status === 404) return null;
    if (!r.ok) throw new Error(path + ": HTTP " + r.status);
    return r.json();
  }

  function renderJourney(j) {
    const state = $("journey-state");
    const summary = $("journey-summary");
    const progress = $("journey-progress");
    const phases = $("phases");
    if (!j || j.state === "IDLE") {
      state.textContent = "no journey";
      state.className = "badge muted";
      state.dataset.state = j ? "IDLE" : "NONE";
      summary.textContent = j ? "No journey yet: start one with `pgferry apply --plan plan.yaml`."
                              : "no journey: this controller serves no journey API";
      summary.dataset.phase = "";
      progress.textContent = "";
      phases.replaceChildren();
      return;
    }
    state.textContent = j.state;
    state.dataset.state = j.state;
    state.className = "badge " + (STATE_CLASS[j.state] || "muted");
    summary.dataset.phase = j.phase || "";
    summary.replaceChildren(
      el("strong", {}, j.phase || "–"),
      j.step ? el("span", { class: "muted" }, "  ·  step " + j.step) : "",
      j.plan ? el("span", { class: "muted" }, "  ·  plan " + j.plan) : "");
    // during the copy its card has the same figures, fresher than the step's last progress sentence
    progress.textContent = [j.copy ? null : j.progress, j.message].filter(Boolean).join("  —  ");
    if (j.summary) {
      const s = j.summary;
      progress.textContent = ["the app points to " + s.app_points_to]
        .concat((s.downtimes || []).map((d) => "downtime " + d.event + " " + seconds(d.seconds) + " (" + d.measured + ")"))
        .concat((s.still_running || []).map((r) => "still running: " + r))
        .concat([s.next]).join("  ·  ");
    }
    let nextMarked = false;
    const items = [];
    for (const p of j.phases || []) {
      if (p.name === "FAILOVER" && p.status === "not_reached") continue; // a side branch, shown only when taken
      let cls = p.status;
      let detail = { done: "done", running: "running", held: "held: `pgferry proceed`", failed: "failed", stopped: "stopped", not_reached: "" }[p.status];
      if (p.status === "not_reached" && !nextMarked && items.some((i) => i.dataset.status !== "not_reached")) {
        cls += " next";
        detail = "next";
        nextMarked = true;
      }
      if (p.seconds != null) detail += " · " + seconds(p.seconds);
      const li = el("li", { class: cls, "data-phase": p.name, "data-status": p.status },
        el("div", { class: "name" }, p.name), el("div", { class: "detail" }, detail || " "));
      items.push(li);
    }
    phases.replaceChildren(...items);
  }

  // /api/journey's copy while logical_setup.table_copy runs (docs/copy.md, "Progress"): the same figures as the bar
  // of `pgferry status`, with the tables not copied yet, the one in progress first
  const MAX_COPY_ROWS = 20;
  function renderCopy(copy) {
    const card = $("copy-card");
    if (!copy) {
      card.hidden = true;
      delete card.dataset.percent;
      return;
    }
    card.hidden = false;
    const pct = Math.max(0, Math.min(100, Number(copy.percent) || 0));
    card.dataset.percent = pct.toFixed(1);
    $("copy-percent").textContent = pct.toFixed(1) + " %";
    $("copy-bar").style.width = pct.toFixed(1) + "%";
    $("copy-summary").textContent = [
      copy.items_done + "/" + copy.items + " tables and ranges",
      bytes(copy.bytes) + " streamed",
      Number(copy.rows).toLocaleString("en") + " rows committed",
      Number(copy.mb_per_second).toFixed(1) + " MB/s",
      "ETA " + (copy.eta_seconds == null ? "?" : seconds(copy.eta_seconds))].join("  ·  ");
    const tables = copy.tables || [];
    const open = tables.filter((t) => t.items_done < t.items)
      .sort((a, b) => (b.bytes > 0) - (a.bytes > 0) || b.estimated_bytes - a.estimated_bytes);
    const rows = open.slice(0, MAX_COPY_ROWS).map((t) => el("tr", { "data-table": t.table },
      el("td", {}, t.table),
      el("td", { class: "num" }, t.items_done + "/" + t.items),
      el("td", { class: "num" }, bytes(t.bytes)),
      el("td", { class: "num" }, bytes(t.estimated_bytes)),
      el("td", { class: "num" }, Number(t.rows).toLocaleString("en"))));
    const copied = tables.length - open.length;
    const more = open.length - rows.length;
    rows.push(el("tr", { class: "total" }, el("td", { colspan: 5 },
      copied + " of " + tables.length + " table(s) copied" + (more > 0 ? "; " + more + " more not shown" : ""))));
    $("copy-tables").tBodies[0].replaceChildren(...rows);
  }

  function renderNodes(nodes, journey) {
    const roles = {};
    for (const n of (journey && journey.nodes) || []) roles[n.id] = n.role;
    const body = $("nodes").tBodies[0];
    if (!nodes || nodes.length === 0) {
      body.replaceChildren(el("tr", {}, el("td", { colspan: 9, class: "muted" }, "no agent has connected yet")));
      return;
    }
    body.replaceChildren(...nodes.map((n) => {
      const s = n.status || {};
      const lag = Number(s.replay_lag_bytes);
      const stateCell = el("td", {}, el("strong", {}, s.state || "–"));
      if (s.transition) stateCell.append(el("span", { class: "sub", title: s.transition }, s.transition));
      const goal = n.goal && n.goal.state ? n.goal.state : "–";
      return el("tr", { "data-node": n.node_id, "data-state": s.state || "" },
        el("td", {}, el("strong", {}, n.node_id)),
        el("td", { class: "nowrap" }, (roles[n.node_id] || "").replace("_", " ") || "–"),
        stateCell,
        el("td", {}, goal),
        el("td", {}, el("span", { class: "badge " + (n.connected ? "ok" : "bad") }, n.connected ? "up" : "down")),
        el("td", { class: "num" }, bytes(lag)),
        el("td", { class: "num" }, n.lease_remaining_ms == null ? "–" : seconds(n.lease_remaining_ms / 1000)),
        el("td", { class: "num" }, n.last_seen_age_ms == null ? "never" : seconds(n.last_seen_age_ms / 1000) + " ago"),
        el("td", { class: "err" }, s.last_error || ""));
    }));
  }

  // GET /api/control-plane (docs/ha.md): who leads, each controller's heartbeat, etcd, each primary's lease/failsafe
  function renderControlPlane(cp) {
    const store = $("control-store");
    const summary = $("control-summary");
    const controllers = $("controllers").tBodies[0];
    const primaries = $("primaries").tBodies[0];
    if (!cp) {
      store.textContent = "unknown";
      summary.textContent = "";
      controllers.replaceChildren();
      primaries.replaceChildren();
      return;
    }
    store.textContent = cp.store;
    store.className = "badge " + (cp.store === "etcd" && !cp.leader ? "bad" : "ok");
    if (cp.store === "embedded") {
      summary.textContent = "one controller (embedded store)";
    } else {
      const etcd = cp.etcd ? "; etcd " + cp.etcd.healthy + "/" + cp.etcd.members + " members healthy" : "";
      summary.textContent = (cp.leader ? cp.leader + " leads" : "no controller leads") + (cp.leading ? " (this one)" : "")
        + "; " + cp.leader_changes + " leader change(s) seen" + etcd;
    }
    controllers.replaceChildren(...(cp.controllers || []).map((c) => el("tr", { "data-controller": c.address },
      el("td", {}, el("strong", {}, c.address)),
      el("td", {}, c.leading ? "leader" : "follower"),
      el("td", {}, el("span", { class: "badge " + (c.healthy ? "ok" : "bad") }, c.healthy ? "up" : "down")),
      el("td", { class: "num" }, seconds(c.last_seen_age_ms / 1000) + " ago"))));
    primaries.replaceChildren(...(cp.primaries || []).map((p) => el("tr", { "data-primary": p.node },
      el("td", {}, el("strong", {}, p.node)),
      el("td", {}, el("span", { class: "badge " + (p.connected ? "ok" : "bad") }, p.connected ? "up" : "down")),
      el("td", { class: "num" }, p.lease_remaining_ms == null ? "–" : seconds(p.lease_remaining_ms / 1000)),
      el("td", {}, p.failsafe_serving
        ? el("span", { class: "badge warn", title: "lease lapsed; serving while " + (p.failsafe_standby || "its standby")
            + " streams from it" }, "serving on standby's evidence")
        : "no"))));
  }

  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text != null) e.textContent = text;
    return e;
  }

  function niceMax(v) {
    if (v <= 0) return 1024;
    const p = Math.pow(2, Math.ceil(Math.log2(v)));
    return p;
  }

  function renderChart(history) {
    const box = $("lag-chart");
    const width = Math.max(300, box.clientWidth || 600);
    const height = 220;
    const m = { l: 64, r: 12, t: 10, b: 40 };
    const series = Object.entries((history && history.nodes) || {});
    const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "replication lag" });
    const times = series.flatMap(([, pts]) => pts.map((p) => p[0]));
    const now = Math.max(Date.now(), ...times);
    // the window grows with the history kept, from one minute up to ten
    const span = Math.min(MAX_WINDOW_MS, Math.max(MIN_WINDOW_MS, now - Math.min(now, ...times)));
    const t0 = now - span;
    const max = niceMax(Math.max(0, ...series.flatMap(([, pts]) => pts.map((p) => p[1]))));
    const x = (t) => m.l + (t - t0) / span * (width - m.l - m.r);
    const y = (v) => height - m.b - v / max * (height - m.t - m.b);
    for (let i = 0; i <= 4; i++) {
      const v = max * i / 4;
      root.append(svg("line", { class: i ? "grid" : "axis", x1: m.l, x2: width - m.r, y1: y(v), y2: y(v) }));
      root.append(svg("text", { x: m.l - 6, y: y(v) + 4, "text-anchor": "end" }, bytes(v)));
    }
    const step = [10, 30, 60, 120].map((s) => s * 1000).find((s) => span / s <= 6) || 120000;
    for (let ago = Math.floor(span / step) * step; ago >= 0; ago -= step) {
      const label = ago === 0 ? "now" : ago < 60000 ? "-" + ago / 1000 + " s" : "-" + ago / 60000 + " min";
      root.append(svg("line", { class: "grid", x1: x(now - ago), x2: x(now - ago), y1: m.t, y2: height - m.b }));
      const anchor = ago === 0 ? "end" : x(now - ago) - m.l < 24 ? "start" : "middle";
      root.append(svg("text", { x: x(now - ago), y: height - m.b + 14, "text-anchor": anchor }, label));
    }
    const legend = svg("g", { class: "legend" });
    series.forEach(([id, pts], i) => {
      const color = COLORS[i % COLORS.length];
      let d = "";
      let pen = "M";
      for (const [t, v] of pts) {
        if (t < t0) continue;
        if (v < 0) { pen = "M"; continue; }
        d += pen + x(t).toFixed(1) + "," + y(v).toFixed(1) + " ";
        pen = "L";
      }
      if (d) root.append(svg("path", { d, fill: "none", stroke: color, "stroke-width": 2, "data-node": id }));
      const last = pts.length ? pts[pts.length - 1][1] : -1;
      const lx = m.l + i * 160;
      legend.append(svg("rect", { x: lx, y: height - 16, width: 10, height: 10, fill: color }));
      legend.append(svg("text", { x: lx + 14, y: height - 7 }, id + ": " + bytes(last)));
    });
    if (series.length === 0) {
      root.append(svg("text", { x: width / 2, y: height / 2, "text-anchor": "middle" }, "no lag reported yet"));
    }
    root.append(legend);
    box.replaceChildren(root);
  }

  function renderJournal(journey) {
    const body = $("journal").tBodies[0];
    const recent = ((journey && journey.recent) || []).slice().reverse();
    if (recent.length === 0) {
      body.replaceChildren(el("tr", {}, el("td", { colspan: 5, class: "muted" }, "no journey")));
      return;
    }
    body.replaceChildren(...recent.map((r) => el("tr", { "data-event": r.event },
      el("td", {}, clock(r.at)), el("td", {}, r.event), el("td", {}, r.phase || ""),
      el("td", {}, r.step || ""), el("td", {}, r.message || ""))));
  }

  async function tick() {
    try {
      const [journey, nodes, history, controlPlane] = await Promise.all(
        [getJson("/api/journey"), getJson("/api/nodes"), getJson("/api/lag-history"), getJson("/api/control-plane")]);
      renderJourney(journey);
      renderCopy(journey && journey.copy);
      renderNodes(nodes, journey);
      renderControlPlane(controlPlane);
      renderChart(history);
      renderJournal(journey);
      $("connection").textContent = SNAPSHOT ? "snapshot of " + clock(SNAPSHOT.taken_at) : "live";
      $("connection").className = SNAPSHOT ? "badge" : "badge ok";
      $("updated").textContent = "updated " + new Date().toLocaleTimeString([], { hour12: false });
      document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
    } catch (e) {
      $("connection").textContent = "controller unreachable";
      $("connection").className = "badge bad";
    } finally {
      if (!SNAPSHOT) setTimeout(tick, POLL_MS);
    }
  }
  tick();
})();

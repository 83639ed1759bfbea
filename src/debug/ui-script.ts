// The browser side of /debug/ui, as plain ES2020 in a string (the page must be self-contained).
// Written without template literals so it can sit inside one here. All data goes in through
// textContent/attributes, never innerHTML: actor fields come from the network.
export const UI_SCRIPT = String.raw`
"use strict";
const SVG = "http://www.w3.org/2000/svg";
const W = 900, H = 620, CX = 450, CY = 310, PEER_R = 215, CLIENT_R = 112;
const TONES = {
  up: { color: "#22c55e", label: "up", states: "up, refreshing, serving" },
  busy: { color: "#f59e0b", label: "working", states: "requesting, programming, registering, resyncing" },
  healing: { color: "#ef4444", label: "healing", states: "healing, failed" },
  idle: { color: "#94a3b8", label: "idle", states: "accepting, closing, closed" },
  other: { color: "#60a5fa", label: "other", states: "any other state" },
};
const UP = ["up", "refreshing", "serving", "ready"];
const BUSY = ["requesting", "programming", "allocating", "starting", "registering", "resyncing", "connecting",
  "dialling", "waiting", "unprogramming"];
const HEALING = ["healing", "failed", "error", "down", "lost"];
const IDLE = ["accepting", "closing", "closed", "idle", "stopped", "draining"];

function tone(state) {
  const head = String(state || "").toLowerCase().split(".")[0];
  if (UP.includes(head)) return "up";
  if (BUSY.includes(head)) return "busy";
  if (HEALING.includes(head)) return "healing";
  if (IDLE.includes(head)) return "idle";
  return "other";
}

function el(name, attrs, text) {
  const node = document.createElementNS(SVG, name);
  for (const key in attrs || {}) node.setAttribute(key, String(attrs[key]));
  if (text !== undefined) node.textContent = text;
  return node;
}

function html(name, attrs, text) {
  const node = document.createElement(name);
  for (const key in attrs || {}) node.setAttribute(key, String(attrs[key]));
  if (text !== undefined) node.textContent = text;
  return node;
}

function ago(iso, now) {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return "–";
  let s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return s + "s ago";
  const m = Math.floor(s / 60); s = s % 60;
  if (m < 60) return m + "m" + (s ? " " + s + "s" : "") + " ago";
  const h = Math.floor(m / 60);
  if (h < 24) return h + "h " + (m % 60) + "m ago";
  return Math.floor(h / 24) + "d " + (h % 24) + "h ago";
}

function shortId(view) {
  const slash = view.id.indexOf("/");
  return view.subject && view.subject.name ? view.subject.name : slash >= 0 ? view.id.slice(slash + 1) : view.id;
}

function clip(text, max) { return text.length > max ? text.slice(0, max - 1) + "…" : text; }

function describe(view) {
  const lines = [view.id + " (" + view.machine + ")", "state: " + view.state, "since: " + view.since];
  for (const key in view.subject || {}) lines.push(key + ": " + view.subject[key]);
  if (view.addresses.length) lines.push("addresses: " + view.addresses.join(", "));
  if (view.routes.length) lines.push("routes: " + view.routes.join(", "));
  if (view.lastError) lines.push("last error: " + view.lastError);
  return lines.join("\n");
}

// Text block beside a node, placed outward from the centre so it never sits on the link.
function label(g, x, y, angle, gap, lines) {
  const dx = Math.cos(angle), dy = Math.sin(angle), step = 15;
  let anchor = "middle", tx = x, ty;
  if (dy < -0.45) ty = y - gap - 6 - (lines.length - 1) * step;
  else if (dy > 0.45) ty = y + gap + 14;
  else {
    anchor = dx >= 0 ? "start" : "end";
    tx = x + (dx >= 0 ? gap + 6 : -gap - 6);
    ty = y - ((lines.length - 1) * step) / 2 + 4;
  }
  lines.forEach(function (line, i) {
    g.appendChild(el("text", { x: tx, y: ty + i * step, "text-anchor": anchor, class: line.cls }, line.text));
  });
}

// Small client (NSC connection) nodes hung off an endpoint node at (x, y).
function clientNode(g, view, x, y, angle, ownerX, ownerY) {
  const t = tone(view.state);
  g.appendChild(el("line", { x1: ownerX, y1: ownerY, x2: x, y2: y, stroke: TONES[t].color, "stroke-width": 1.5,
    "stroke-opacity": 0.7, class: "client-link " + t, "data-client": view.id, "data-state": view.state }));
  const node = el("g", { class: "client", "data-id": view.id, "data-state": view.state });
  node.appendChild(el("title", {}, describe(view)));
  node.appendChild(el("circle", { cx: x, cy: y, r: 8, fill: "#0d1526", stroke: TONES[t].color, "stroke-width": 2.5 }));
  const addr = view.addresses.length ? view.addresses.join(" ") : shortId(view);
  node.appendChild(el("circle", { cx: x, cy: y, r: 3, fill: TONES[t].color }));
  g.appendChild(node);
  label(node, x, y, angle, 8, [{ text: clip(addr, 34), cls: "addr" }]);
}

// Angles for n clients, spread through the gaps between the peer links so nothing overlaps them.
function gapAngles(peerAngles, n) {
  if (n === 0) return [];
  if (peerAngles.length === 0) return Array.from({ length: n }, function (_, i) { return -Math.PI / 2 + (i + 0.5) * 2 * Math.PI / n; });
  const gaps = peerAngles.map(function (a, i) {
    const next = i + 1 < peerAngles.length ? peerAngles[i + 1] : peerAngles[0] + 2 * Math.PI;
    return { from: a, size: next - a, members: 0 };
  });
  for (let i = 0; i < n; i++) gaps.reduce(function (best, g) { return g.size / (g.members + 1) > best.size / (best.members + 1) ? g : best; }).members++;
  const out = [];
  for (const g of gaps) for (let k = 1; k <= g.members; k++) out.push(g.from + (k * g.size) / (g.members + 1));
  return out;
}

function drawMesh(tree) {
  const svg = document.getElementById("graph");
  svg.replaceChildren();
  const peers = tree.children.filter(function (c) { return c.kind === "peer"; });
  const clients = tree.children.filter(function (c) { return c.kind === "connection"; });
  const peerAngles = peers.map(function (_, i) { return -Math.PI / 2 + (i * 2 * Math.PI) / peers.length; });
  const links = el("g", { id: "links" }), nodes = el("g", { id: "nodes" });
  svg.append(links, nodes);

  peers.forEach(function (peer, i) {
    const a = peerAngles[i], x = CX + PEER_R * Math.cos(a), y = CY + PEER_R * Math.sin(a), t = tone(peer.state);
    links.appendChild(el("line", { x1: CX, y1: CY, x2: x, y2: y, stroke: TONES[t].color, "stroke-width": 4,
      "stroke-linecap": "round", "stroke-dasharray": t === "idle" ? "8 7" : "none", class: "link " + t,
      "data-peer": peer.id, "data-state": peer.state, "data-tone": t }));
    const g = el("g", { class: "peer", "data-id": peer.id, "data-state": peer.state });
    g.appendChild(el("title", {}, describe(peer)));
    g.appendChild(el("circle", { cx: x, cy: y, r: 30, fill: "#0d1526", stroke: TONES[t].color, "stroke-width": 3 }));
    g.appendChild(el("text", { x: x, y: y + 4, "text-anchor": "middle", class: "muted" }, "NSE"));
    const lines = [{ text: clip(shortId(peer), 28), cls: "name" }, { text: peer.state, cls: "state tone-" + t }];
    if (peer.routes.length) lines.push({ text: clip(peer.routes.join(" "), 36), cls: "addr" });
    const kids = peer.children.filter(function (c) { return c.kind === "connection"; });
    kids.forEach(function (kid, k) {
      const ka = a + (k - (kids.length - 1) / 2) * 0.45, kx = x + 62 * Math.cos(ka), ky = y + 62 * Math.sin(ka);
      clientNode(nodes, kid, kx, ky, ka, x, y);
    });
    label(g, x, y, a, kids.length ? 78 : 30, lines);
    nodes.appendChild(g);
  });

  gapAngles(peerAngles, clients.length).forEach(function (a, i) {
    clientNode(nodes, clients[i], CX + CLIENT_R * Math.cos(a), CY + CLIENT_R * Math.sin(a), a, CX, CY);
  });

  const t = tone(tree.state), me = el("g", { class: "self", "data-id": tree.id, "data-state": tree.state });
  me.appendChild(el("title", {}, describe(tree)));
  me.appendChild(el("circle", { cx: CX, cy: CY, r: 54, fill: TONES[t].color, "fill-opacity": 0.12 }));
  me.appendChild(el("circle", { cx: CX, cy: CY, r: 44, fill: "#111a2e", stroke: TONES[t].color, "stroke-width": 3 }));
  me.appendChild(el("text", { x: CX, y: CY - 4, "text-anchor": "middle", class: "name" }, clip(shortId(tree), 16)));
  me.appendChild(el("text", { x: CX, y: CY + 13, "text-anchor": "middle", class: "muted" }, tree.state));
  nodes.appendChild(me);
  if (peers.length === 0)
    svg.appendChild(el("text", { x: CX, y: H - 24, "text-anchor": "middle", class: "muted" }, "no peer endpoints yet"));
}

function flatten(view, depth, out) {
  out.push({ view: view, depth: depth });
  for (const child of view.children) flatten(child, depth + 1, out);
  return out;
}

function drawTable(tree, now) {
  const rows = flatten(tree, 0, []).map(function (item) {
    const v = item.view, t = tone(v.state), tr = html("tr", { "data-id": v.id, class: v.lastError ? "err" : "" });
    const idCell = html("td", { class: "mono", style: "padding-left:" + (10 + item.depth * 18) + "px" }, v.id);
    const badge = html("span", { class: "badge tone-" + t });
    badge.append(html("span", { class: "dot" }), html("span", {}, v.state));
    const state = html("td", { class: "state" });
    state.appendChild(badge);
    tr.append(idCell, html("td", {}, v.kind), state, html("td", { title: v.since }, ago(v.since, now)),
      html("td", { class: "mono addresses" }, v.addresses.join(", ") || "–"),
      html("td", { class: "error" }, v.lastError || ""));
    return tr;
  });
  document.getElementById("actor-rows").replaceChildren(...rows);
}

function drawSummary(tree) {
  const peers = tree.children.filter(function (c) { return c.kind === "peer"; });
  const up = peers.filter(function (p) { return tone(p.state) === "up"; }).length;
  document.getElementById("count-peers").textContent = up + " / " + peers.length;
  document.getElementById("count-clients").textContent =
    String(tree.children.filter(function (c) { return c.kind === "connection"; }).length);
  const s = tree.subject || {};
  document.getElementById("prefix").textContent = s.prefix || tree.routes.join(" ") || "–";
  document.getElementById("endpoint-name").textContent = s.name || tree.id;
  const pill = document.getElementById("endpoint-state");
  pill.className = "pill tone-" + tone(tree.state);
  pill.lastChild.textContent = tree.state;
}

function drawLegend() {
  const items = Object.keys(TONES).map(function (key) {
    const li = html("li", { "data-tone": key }), sw = el("svg", { width: 34, height: 10 });
    sw.appendChild(el("line", { x1: 2, y1: 5, x2: 32, y2: 5, stroke: TONES[key].color, "stroke-width": 4,
      "stroke-linecap": "round", "stroke-dasharray": key === "idle" ? "6 5" : "none" }));
    li.append(sw, html("strong", {}, TONES[key].label), html("span", {}, TONES[key].states));
    return li;
  });
  const client = html("li"), sw = el("svg", { width: 34, height: 18 });
  sw.appendChild(el("circle", { cx: 17, cy: 9, r: 7, fill: "#0d1526", stroke: "#94a3b8", "stroke-width": 2.5 }));
  client.append(sw, html("strong", {}, "NSC"), html("span", {}, "client connection, with its address"));
  document.getElementById("legend").replaceChildren(...items, client);
}

async function readiness() {
  try {
    const body = await (await fetch("../readyz", { cache: "no-store" })).json();
    for (const part of ["registered", "prefix", "dataplane"]) {
      document.getElementById("ready-" + part).className = "pill " + (body[part] ? "ok" : "bad");
    }
  } catch (_) { /* the tree poll reports the outage */ }
}

let refreshes = 0;
async function poll() {
  const banner = document.getElementById("banner");
  try {
    const res = await fetch("actors", { cache: "no-store" });
    if (!res.ok) throw new Error("GET /debug/actors answered " + res.status);
    const tree = await res.json(), now = Date.now();
    drawMesh(tree); drawTable(tree, now); drawSummary(tree);
    await readiness();
    banner.className = "";
    refreshes++;
    document.body.dataset.refreshes = String(refreshes);
    document.getElementById("updated").textContent = "updated " + new Date(now).toLocaleTimeString();
  } catch (err) {
    banner.textContent = "Cannot reach the endpoint (" + (err && err.message ? err.message : err) + "); retrying every second.";
    banner.className = "show";
  } finally {
    setTimeout(poll, 1000);
  }
}

drawLegend();
poll();
`;

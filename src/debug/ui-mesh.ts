// The browser side of /debug/ui, part 1: state tones, SVG helpers and the mesh drawing (from
// meshModel in ui-model.ts). Plain ES2020 in a string (the page must be self-contained), written
// without template literals. Data goes in through textContent/attributes only: it comes from the network.
export const UI_MESH_SCRIPT = `
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

function clip(text, max) { return text.length > max ? text.slice(0, max - 1) + "…" : text; }

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
    const attrs = { x: tx, y: ty + i * step, "text-anchor": anchor, class: line.cls };
    if (line.fill) attrs.style = "fill:" + line.fill; // beats the stylesheet, unlike a fill attribute
    g.appendChild(el("text", attrs, line.text));
  });
}

// Small client (NSC connection) node hung off its endpoint at (ownerX, ownerY), labelled with its address.
function clientNode(g, view, x, y, angle, ownerX, ownerY) {
  const t = tone(view.state);
  g.appendChild(el("line", { x1: ownerX, y1: ownerY, x2: x, y2: y, stroke: TONES[t].color, "stroke-width": 1.5,
    "stroke-opacity": 0.7, class: "client-link " + t, "data-client": view.id, "data-state": view.state }));
  const node = el("g", { class: "client", "data-id": view.id, "data-state": view.state });
  node.appendChild(el("title", {}, describe(view)));
  node.appendChild(el("circle", { cx: x, cy: y, r: 8, fill: "#0d1526", stroke: TONES[t].color, "stroke-width": 2.5 }));
  node.appendChild(el("circle", { cx: x, cy: y, r: 3, fill: TONES[t].color }));
  g.appendChild(node);
  label(node, x, y, angle, 8, [{ text: clip(view.addresses.join(" ") || nameOf(view), 34), cls: "addr" }]);
}

// Angles for n clients, spread through the gaps between an endpoint's links so nothing overlaps them.
function gapAngles(linkAngles, n) {
  if (n === 0) return [];
  if (linkAngles.length === 0) return Array.from({ length: n }, function (_, i) {
    return { angle: -Math.PI / 2 + (i + 0.5) * 2 * Math.PI / n, crowded: n > 4, k: i };
  });
  const sorted = linkAngles.slice().sort(function (a, b) { return a - b; });
  const gaps = sorted.map(function (a, i) {
    const next = i + 1 < sorted.length ? sorted[i + 1] : sorted[0] + 2 * Math.PI;
    return { from: a, size: next - a, members: 0 };
  });
  for (let i = 0; i < n; i++) gaps.reduce(function (best, g) { return g.size / (g.members + 1) > best.size / (best.members + 1) ? g : best; }).members++;
  const out = [];
  for (const g of gaps)
    for (let k = 1; k <= g.members; k++) out.push({ angle: g.from + (k * g.size) / (g.members + 1), crowded: g.members > 1, k: k });
  return out;
}

// Where each node goes: one endpoint in the middle with its peers around it; several (a sandbox) on a
// ring, with peers none of them runs on an outer ring.
function place(model) {
  const local = [], remote = [];
  model.nodes.forEach(function (n) { (n.local ? local : remote).push(n); });
  const ring = function (list, r, offset) {
    list.forEach(function (n, i) {
      const a = -Math.PI / 2 + offset + (i * 2 * Math.PI) / list.length;
      n.x = CX + r * Math.cos(a); n.y = CY + r * Math.sin(a); n.angle = a;
    });
  };
  if (local.length === 1) { local[0].x = CX; local[0].y = CY; local[0].angle = -Math.PI / 2; }
  else ring(local, Math.max(210, local.length * 55), 0);
  ring(remote, local.length === 1 ? PEER_R : Math.max(210, local.length * 55) + 190, local.length > 1 ? Math.PI / local.length : 0);
  return { local: local, remote: remote };
}

function endpointNode(nodes, n, single) {
  const v = n.view, t = tone(v.state), r = single ? 50 : 48;
  const g = el("g", { class: "endpoint" + (single ? " self" : ""), "data-id": single ? v.id : nameOf(v), "data-state": v.state });
  g.appendChild(el("title", {}, describe(v)));
  g.appendChild(el("circle", { cx: n.x, cy: n.y, r: r + 10, fill: TONES[t].color, "fill-opacity": 0.12 }));
  g.appendChild(el("circle", { cx: n.x, cy: n.y, r: r, fill: "#111a2e", stroke: TONES[t].color, "stroke-width": 3 }));
  g.appendChild(el("text", { x: n.x, y: n.y - 4, "text-anchor": "middle", class: "name" }, clip(n.name, 14)));
  g.appendChild(el("text", { x: n.x, y: n.y + 13, "text-anchor": "middle", class: "muted" }, v.state));
  // Inside the circle: outside it, the prefix would collide with the client labels around it.
  if (!single && n.prefix) g.appendChild(el("text", { x: n.x, y: n.y + 28, "text-anchor": "middle", class: "addr", style: "font-size:10px" }, n.prefix));
  nodes.appendChild(g);
}

function peerNode(nodes, n) {
  const v = n.view, t = tone(v.state);
  const g = el("g", { class: "peer", "data-id": v.id, "data-state": v.state });
  g.appendChild(el("title", {}, describe(v)));
  g.appendChild(el("circle", { cx: n.x, cy: n.y, r: 30, fill: "#0d1526", stroke: TONES[t].color, "stroke-width": 3 }));
  g.appendChild(el("text", { x: n.x, y: n.y + 4, "text-anchor": "middle", class: "muted" }, "NSE"));
  const lines = [{ text: clip(n.name, 28), cls: "name" }, { text: v.state, cls: "state", fill: TONES[t].color }];
  if (n.prefix) lines.push({ text: n.prefix, cls: "addr" });
  label(g, n.x, n.y, n.angle, 30, lines);
  nodes.appendChild(g);
}

function drawMesh(trees) {
  const svg = document.getElementById("graph");
  svg.replaceChildren();
  const model = meshModel(trees), spots = place(model), single = spots.local.length === 1;
  const links = el("g", { id: "links" }), nodes = el("g", { id: "nodes" });
  svg.append(links, nodes);
  model.links.forEach(function (link) {
    const a = model.nodes.get(link.a), b = model.nodes.get(link.b), t = tone(link.state);
    const line = el("line", { x1: a.x, y1: a.y, x2: b.x, y2: b.y, stroke: TONES[t].color, "stroke-width": 4,
      "stroke-linecap": "round", "stroke-dasharray": t === "idle" ? "8 7" : "none", class: "link " + t,
      "data-peer": link.peerId, "data-link": link.key, "data-state": link.state, "data-tone": t });
    line.appendChild(el("title", {}, describeLink(link)));
    links.appendChild(line);
  });
  for (const n of spots.remote) peerNode(nodes, n);
  for (const n of spots.local) {
    const angles = n.neighbours.map(function (name) { const o = model.nodes.get(name); return Math.atan2(o.y - n.y, o.x - n.x); });
    const reach = single ? CLIENT_R : 92;
    // Neighbours in a crowded gap alternate between two rings so their labels don't collide.
    gapAngles(angles, n.clients.length).forEach(function (spot, i) {
      const r = spot.crowded && spot.k % 2 === 0 ? reach + 44 : reach, a = spot.angle;
      clientNode(nodes, n.clients[i], n.x + r * Math.cos(a), n.y + r * Math.sin(a), a, n.x, n.y);
    });
    endpointNode(nodes, n, single);
  }
  if (model.links.size === 0)
    svg.appendChild(el("text", { x: CX, y: CY + 90, "text-anchor": "middle", class: "muted" }, "no peer endpoints yet"));
  fit(svg);
  return model;
}

// Zoom to what was drawn, keeping the panel's aspect ratio (so the page doesn't jump) and a
// minimum width (so a lone endpoint isn't blown up).
function fit(svg) {
  const box = svg.getBBox(), pad = 24;
  let w = Math.max(box.width + 2 * pad, 800), h = box.height + 2 * pad;
  if (w / h > W / H) h = (w * H) / W;
  else w = (h * W) / H;
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  svg.setAttribute("viewBox", [cx - w / 2, cy - h / 2, w, h].map(function (n) { return n.toFixed(1); }).join(" "));
}
`;

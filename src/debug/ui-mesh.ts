// The browser side of /debug/ui, part 1: state tones, SVG helpers and the mesh drawing. Plain
// ES2020 in a string (the page must be self-contained), written without template literals so it
// can sit inside one. Data goes in through textContent/attributes only: it comes from the network.
export const UI_MESH_SCRIPT = String.raw`
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
    const attrs = { x: tx, y: ty + i * step, "text-anchor": anchor, class: line.cls };
    if (line.fill) attrs.style = "fill:" + line.fill; // beats the stylesheet, unlike a fill attribute
    g.appendChild(el("text", attrs, line.text));
  });
}

// Small client (NSC connection) node hung off an endpoint node at (ownerX, ownerY); labelled with
// its address unless the owner lists the addresses itself.
function clientNode(g, view, x, y, angle, ownerX, ownerY, labelled) {
  const t = tone(view.state);
  g.appendChild(el("line", { x1: ownerX, y1: ownerY, x2: x, y2: y, stroke: TONES[t].color, "stroke-width": 1.5,
    "stroke-opacity": 0.7, class: "client-link " + t, "data-client": view.id, "data-state": view.state }));
  const node = el("g", { class: "client", "data-id": view.id, "data-state": view.state });
  node.appendChild(el("title", {}, describe(view)));
  node.appendChild(el("circle", { cx: x, cy: y, r: 8, fill: "#0d1526", stroke: TONES[t].color, "stroke-width": 2.5 }));
  const addr = view.addresses.length ? view.addresses.join(" ") : shortId(view);
  node.appendChild(el("circle", { cx: x, cy: y, r: 3, fill: TONES[t].color }));
  g.appendChild(node);
  if (labelled) label(node, x, y, angle, 8, [{ text: clip(addr, 34), cls: "addr" }]);
}

// Angles for n clients, spread through the gaps between the peer links so nothing overlaps them.
function gapAngles(peerAngles, n) {
  if (n === 0) return [];
  if (peerAngles.length === 0) return Array.from({ length: n }, function (_, i) {
    return { angle: -Math.PI / 2 + (i + 0.5) * 2 * Math.PI / n, crowded: n > 4, k: i };
  });
  const gaps = peerAngles.map(function (a, i) {
    const next = i + 1 < peerAngles.length ? peerAngles[i + 1] : peerAngles[0] + 2 * Math.PI;
    return { from: a, size: next - a, members: 0 };
  });
  for (let i = 0; i < n; i++) gaps.reduce(function (best, g) { return g.size / (g.members + 1) > best.size / (best.members + 1) ? g : best; }).members++;
  const out = [];
  for (const g of gaps)
    for (let k = 1; k <= g.members; k++) out.push({ angle: g.from + (k * g.size) / (g.members + 1), crowded: g.members > 1, k: k });
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
    const lines = [{ text: clip(shortId(peer), 28), cls: "name" }, { text: peer.state, cls: "state", fill: TONES[t].color }];
    if (peer.routes.length) lines.push({ text: clip(peer.routes.join(" "), 36), cls: "addr" });
    // A peer's own clients (if the runtime knows them) fan out behind it; their addresses join its label.
    const kids = peer.children.filter(function (c) { return c.kind === "connection"; });
    kids.forEach(function (kid, k) {
      const ka = a + (k - (kids.length - 1) / 2) * 0.5, kx = x + 50 * Math.cos(ka), ky = y + 50 * Math.sin(ka);
      clientNode(nodes, kid, kx, ky, ka, x, y, false);
    });
    const kidAddresses = kids.map(function (kid) { return kid.addresses.join(" ") || shortId(kid); });
    if (kids.length) lines.push({ text: clip(kidAddresses.slice(0, 3).join(" ") + (kids.length > 3 ? " …" : ""), 48), cls: "addr muted" });
    label(g, x, y, a, kids.length ? 62 : 30, lines);
    nodes.appendChild(g);
  });

  // Neighbours in a crowded gap alternate between two rings so their labels don't collide.
  gapAngles(peerAngles, clients.length).forEach(function (spot, i) {
    const r = spot.crowded && spot.k % 2 === 0 ? CLIENT_R + 48 : CLIENT_R, a = spot.angle;
    clientNode(nodes, clients[i], CX + r * Math.cos(a), CY + r * Math.sin(a), a, CX, CY, true);
  });

  const t = tone(tree.state), me = el("g", { class: "self", "data-id": tree.id, "data-state": tree.state });
  me.appendChild(el("title", {}, describe(tree)));
  me.appendChild(el("circle", { cx: CX, cy: CY, r: 60, fill: TONES[t].color, "fill-opacity": 0.12 }));
  me.appendChild(el("circle", { cx: CX, cy: CY, r: 50, fill: "#111a2e", stroke: TONES[t].color, "stroke-width": 3 }));
  me.appendChild(el("text", { x: CX, y: CY - 4, "text-anchor": "middle", class: "name" }, clip(shortId(tree), 14)));
  me.appendChild(el("text", { x: CX, y: CY + 13, "text-anchor": "middle", class: "muted" }, tree.state));
  nodes.appendChild(me);
  if (peers.length === 0)
    svg.appendChild(el("text", { x: CX, y: CY + 90, "text-anchor": "middle", class: "muted" }, "no peer endpoints yet"));
  fit(svg);
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

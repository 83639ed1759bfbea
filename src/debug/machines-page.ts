// The /debug/machines page: every machine drawn as a state chart with no internet (laid out by elkjs,
// which this server serves from node_modules), each state showing how many live actors are in it,
// refreshed every two seconds from /debug/mesh. Plain ES2020 in a string, no template literals,
// data into the DOM through textContent and attributes only.
const STYLE = `
body { margin: 0; background: #0b1220; color: #e2e8f0; font: 14px/1.45 ui-sans-serif, system-ui, sans-serif; }
header { padding: 14px 24px; border-bottom: 1px solid #1f2a44; background: #0d1526; display: flex; gap: 16px; align-items: baseline; }
header h1 { margin: 0; font-size: 18px; font-weight: 600; } header span { color: #8b9bb4; font-size: 12px; }
section { margin: 16px 24px; background: #111a2e; border: 1px solid #1f2a44; border-radius: 12px; padding: 12px 16px; overflow-x: auto; }
section h2 { margin: 0 0 8px; font-size: 13px; text-transform: uppercase; letter-spacing: .08em; color: #8b9bb4; }
svg text { font-family: ui-sans-serif, system-ui, sans-serif; fill: #e2e8f0; font-size: 12px; }
svg .edge-label { fill: #8b9bb4; font-size: 10px; }
svg .count { font-size: 11px; font-weight: 600; fill: #0b1220; }
#banner { display: none; margin: 12px 24px 0; padding: 8px 12px; border-radius: 8px; background: rgba(239,68,68,.12); color: #fecaca; }
#banner.show { display: block; }
`;

const SCRIPT = String.raw`
"use strict";
const NS = "http://www.w3.org/2000/svg", elk = new ELK();
const charts = new Map(); // machine id -> { counts: Map(path -> text node), boxes: Map(path -> rect) }

function el(name, attrs, text) {
  const n = document.createElementNS(NS, name);
  for (const k in attrs || {}) n.setAttribute(k, String(attrs[k]));
  if (text !== undefined) n.textContent = text;
  return n;
}

function textWidth(s, px) { return Math.ceil(s.length * px * 0.6) + 8; }

// ELK graph of one machine: a node per state (children nested), an edge per transition target.
function graphOf(machine) {
  const edges = [];
  const node = function (s) {
    const n = { id: s.id, labels: [{ text: s.key, width: textWidth(s.key, 12), height: 16 }], children: s.states.map(node) };
    if (s.states.length === 0) { n.width = Math.max(90, textWidth(s.key, 12) + 36); n.height = 38; }
    s.transitions.forEach(function (t, i) {
      t.targets.forEach(function (target, j) {
        const text = t.label + (t.guard ? " [" + t.guard + "]" : "");
        edges.push({ id: s.id + "#" + i + "#" + j, sources: [s.id], targets: [target],
          labels: [{ text: text, width: textWidth(text, 10), height: 12 }] });
      });
    });
    return n;
  };
  const root = node(machine.root);
  return { id: "graph:" + machine.id, layoutOptions: {
    "elk.algorithm": "layered", "elk.direction": "RIGHT", "elk.hierarchyHandling": "INCLUDE_CHILDREN",
    "elk.json.edgeCoords": "ROOT", "elk.json.shapeCoords": "ROOT", "elk.padding": "[top=30,left=12,bottom=12,right=12]",
    "elk.spacing.nodeNode": "24", "elk.layered.spacing.nodeNodeBetweenLayers": "48", "elk.edgeLabels.placement": "CENTER",
  }, children: [root], edges: edges };
}

function states(machine) {
  const out = new Map();
  const walk = function (s) { out.set(s.id, s); s.states.forEach(walk); };
  walk(machine.root);
  return out;
}

async function drawMachine(machine, host) {
  const laid = await elk.layout(graphOf(machine)), byId = states(machine);
  const svg = el("svg", { width: laid.width, height: laid.height, viewBox: "0 0 " + laid.width + " " + laid.height,
    "data-machine": machine.id, role: "img" });
  svg.appendChild(el("defs")).appendChild(el("marker", { id: "arrow-" + machine.id, viewBox: "0 0 10 10", refX: 9, refY: 5,
    markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" })).appendChild(el("path", { d: "M0,0 L10,5 L0,10 z", fill: "#64748b" }));
  const chart = { counts: new Map(), boxes: new Map() };
  const drawNode = function (n, depth) {
    const s = byId.get(n.id), g = el("g", { class: "state", "data-state": s.path, "data-type": s.type });
    const box = el("rect", { x: n.x, y: n.y, width: n.width, height: n.height, rx: 10, fill: depth % 2 ? "#0d1526" : "#111a2e",
      stroke: "#334155", "stroke-width": s.type === "final" ? 3 : 1.5 });
    const handles = s.transitions.filter(function (t) { return t.targets.length === 0; }).map(function (t) { return t.label; });
    g.appendChild(el("title", {}, s.id + (s.invokes.length ? "\ninvokes: " + s.invokes.join(", ") : "") +
      (handles.length ? "\nhandles in place: " + handles.join(", ") : "")));
    g.appendChild(box);
    const leaf = n.children.length === 0;
    g.appendChild(el("text", { x: n.x + 12, y: leaf ? n.y + n.height / 2 + 4 : n.y + 19, class: "name" }, s.key));
    const parent = byId.get(n.id.slice(0, n.id.lastIndexOf(".")));
    if (parent && parent.initial === s.id) g.appendChild(el("circle", { cx: n.x + 4, cy: n.y + 4, r: 4, fill: "#e2e8f0" }));
    const badge = el("g", { class: "badge", "data-count": "0", visibility: "hidden" });
    badge.appendChild(el("rect", { x: n.x + n.width - 34, y: n.y + 6, width: 28, height: 16, rx: 8, fill: "#22c55e" }));
    const count = el("text", { x: n.x + n.width - 20, y: n.y + 18, "text-anchor": "middle", class: "count" }, "0");
    badge.appendChild(count);
    g.appendChild(badge);
    chart.counts.set(s.path, { badge: badge, text: count });
    chart.boxes.set(s.path, box);
    svg.appendChild(g);
    n.children.forEach(function (c) { drawNode(c, depth + 1); });
  };
  laid.children.forEach(function (n) { drawNode(n, 0); });
  for (const e of laid.edges || []) {
    for (const sec of e.sections || []) {
      const pts = [sec.startPoint].concat(sec.bendPoints || [], [sec.endPoint]);
      svg.appendChild(el("polyline", { points: pts.map(function (p) { return p.x + "," + p.y; }).join(" "), fill: "none",
        stroke: "#64748b", "stroke-width": 1.3, "marker-end": "url(#arrow-" + machine.id + ")", class: "transition" }));
    }
    for (const l of e.labels || []) svg.appendChild(el("text", { x: l.x, y: l.y + 10, class: "edge-label" }, l.text));
  }
  host.appendChild(svg);
  charts.set(machine.id, chart);
}

// Live actors per machine and state: a state counts every actor in it or in a state inside it.
function count(trees) {
  const out = new Map();
  const visit = function (v) {
    const per = out.get(v.machine) || new Map(), parts = String(v.state).split(".");
    for (let i = 1; i <= parts.length; i++) { const p = parts.slice(0, i).join("."); per.set(p, (per.get(p) || 0) + 1); }
    per.set("", (per.get("") || 0) + 1);
    out.set(v.machine, per);
    v.children.forEach(visit);
  };
  trees.forEach(visit);
  return out;
}

let refreshes = 0;
async function refresh() {
  const banner = document.getElementById("banner");
  try {
    const res = await fetch("mesh", { cache: "no-store" });
    if (!res.ok) throw new Error("GET /debug/mesh answered " + res.status);
    const counts = count((await res.json()).endpoints);
    charts.forEach(function (chart, machine) {
      const per = counts.get(machine) || new Map();
      chart.counts.forEach(function (c, path) {
        const n = per.get(path) || 0;
        c.text.textContent = String(n);
        c.badge.setAttribute("data-count", String(n));
        c.badge.setAttribute("visibility", n > 0 ? "visible" : "hidden");
        chart.boxes.get(path).setAttribute("stroke", n > 0 && path ? "#22c55e" : "#334155");
      });
    });
    banner.className = "";
    document.body.dataset.refreshes = String(++refreshes);
  } catch (err) {
    banner.textContent = "Cannot reach the endpoint (" + (err && err.message ? err.message : err) + "); retrying.";
    banner.className = "show";
  } finally {
    setTimeout(refresh, 2000);
  }
}

async function main() {
  const machines = await (await fetch("machines?format=json", { cache: "no-store" })).json();
  for (const m of machines) {
    const section = document.createElement("section"), h = document.createElement("h2");
    h.textContent = m.id + " machine";
    section.appendChild(h);
    document.getElementById("charts").appendChild(section);
    await drawMachine(m, section);
  }
  document.body.dataset.drawn = String(machines.length);
  refresh();
}
main();
`;

/** The whole page; elk.js comes from this server (see server.ts), so nothing leaves it. */
export function machinesPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>vL3 NSE · state machines</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>vL3 NSE state machines</h1><span>live actors per state, refreshed every 2 s · <a href="ui" style="color:#60a5fa">mesh</a></span></header>
<div id="banner" role="alert"></div>
<div id="charts"></div>
<script src="machines/elk.js"></script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

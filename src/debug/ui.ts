// /debug/ui: one self-contained HTML page (inline CSS, JS and SVG; no external resources, since
// neither the pod nor the person's port-forward has to reach the internet). It polls the tree.
import { UI_MESH_SCRIPT } from "./ui-mesh.js";
import { UI_MODEL_SCRIPT } from "./ui-model.js";
import { UI_MAIN_SCRIPT } from "./ui-script.js";

const STYLE = `
:root {
  --bg: #0b1220; --panel: #111a2e; --line: #1f2a44; --text: #e2e8f0; --muted: #8b9bb4;
  --up: #22c55e; --busy: #f59e0b; --healing: #ef4444; --idle: #94a3b8; --other: #60a5fa;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.45 ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header { display: flex; align-items: center; gap: 16px; padding: 14px 24px;
  border-bottom: 1px solid var(--line); background: #0d1526; }
header h1 { margin: 0; font-size: 18px; font-weight: 600; letter-spacing: .2px; }
header h1 small { color: var(--muted); font-weight: 400; margin-left: 8px; }
.spacer { flex: 1; }
.pill { display: inline-flex; align-items: center; gap: 6px; padding: 3px 10px; border-radius: 999px;
  border: 1px solid var(--line); color: var(--muted); font-size: 12px; }
.pill.ok { color: var(--up); border-color: #14532d; }
.pill.bad { color: var(--healing); border-color: #7f1d1d; }
.dot { width: 8px; height: 8px; border-radius: 50%; background: currentColor; display: inline-block; }
main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(240px, 1fr); gap: 16px; padding: 16px 24px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 12px; padding: 14px 16px; }
.panel h2 { margin: 0 0 10px; font-size: 13px; text-transform: uppercase; letter-spacing: .08em;
  color: var(--muted); font-weight: 600; }
#mesh svg { width: 100%; height: auto; display: block; }
.cards { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; margin-bottom: 14px; }
.card { background: #0d1526; border: 1px solid var(--line); border-radius: 10px; padding: 10px 12px; }
.card b { display: block; font-size: 22px; font-weight: 600; }
.card span { color: var(--muted); font-size: 12px; }
.legend { list-style: none; margin: 0; padding: 0; }
.legend li { display: flex; align-items: center; gap: 10px; padding: 4px 0; color: var(--muted); }
.legend svg { flex: none; }
.legend strong { color: var(--text); font-weight: 500; min-width: 64px; }
#actors { grid-column: 1 / -1; overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
th { text-align: left; color: var(--muted); font-weight: 500; padding: 6px 10px; border-bottom: 1px solid var(--line); }
td { padding: 7px 10px; border-bottom: 1px solid #16203a; vertical-align: top; }
tr.err td { background: rgba(239, 68, 68, .06); }
td.mono, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
td.error { color: #fca5a5; max-width: 420px; }
.badge { display: inline-flex; align-items: center; gap: 6px; padding: 1px 8px; border-radius: 6px;
  background: #0d1526; border: 1px solid var(--line); font-size: 12px; }
.tone-up { color: var(--up); } .tone-busy { color: var(--busy); } .tone-healing { color: var(--healing); }
.tone-idle { color: var(--idle); } .tone-other { color: var(--other); }
#banner { display: none; margin: 12px 24px 0; padding: 8px 12px; border-radius: 8px;
  background: rgba(239, 68, 68, .12); border: 1px solid #7f1d1d; color: #fecaca; }
#banner.show { display: block; }
svg text { font-family: ui-sans-serif, system-ui, sans-serif; fill: var(--text); }
svg .muted { fill: var(--muted); font-size: 11px; }
svg .addr { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 11px; fill: #cbd5e1; }
svg .name { font-size: 13px; font-weight: 600; }
svg .state { font-size: 12px; }
svg .link.busy { animation: pulse 1.2s ease-in-out infinite; }
svg .link.healing { animation: pulse .6s ease-in-out infinite; }
@keyframes pulse { 50% { stroke-opacity: .35; } }
@media (max-width: 900px) { main { grid-template-columns: 1fr; } }
`;

const BODY = `
<header>
  <h1>vL3 NSE <small id="endpoint-name">connecting…</small></h1>
  <span class="pill" id="endpoint-state"><span class="dot"></span><span>…</span></span>
  <div class="spacer"></div>
  <span class="pill" id="ready-registered"><span class="dot"></span>registered</span>
  <span class="pill" id="ready-prefix"><span class="dot"></span>prefix</span>
  <span class="pill" id="ready-dataplane"><span class="dot"></span>data plane</span>
  <span class="pill" id="updated" title="The page polls /debug/actors every second">…</span>
</header>
<div id="banner" role="alert"></div>
<main>
  <section class="panel" id="mesh"><h2>Mesh, as the endpoints see it</h2><svg id="graph"
    viewBox="0 0 900 620" role="img" aria-label="vL3 mesh"></svg></section>
  <aside class="panel">
    <h2>Summary</h2>
    <div class="cards">
      <div class="card"><b id="count-peers">–</b><span id="count-peers-label">peers up / known</span></div>
      <div class="card"><b id="count-clients">–</b><span>NSC connections</span></div>
      <div class="card" style="grid-column: 1 / -1"><b id="prefix" class="mono">–</b><span id="prefix-label">prefix</span></div>
    </div>
    <h2>Legend</h2>
    <ul class="legend" id="legend"></ul>
  </aside>
  <section class="panel" id="actors">
    <h2>Actors</h2>
    <table>
      <thead><tr><th>Actor</th><th>Kind</th><th>State</th><th>Since</th><th>Addresses</th><th>Last error</th></tr></thead>
      <tbody id="actor-rows"></tbody>
    </table>
  </section>
</main>
`;

/** The whole page, built once per server. */
export function uiPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vL3 NSE · debug</title>
<style>${STYLE}</style>
</head>
<body>${BODY}<script>${UI_MODEL_SCRIPT}${UI_MESH_SCRIPT}${UI_MAIN_SCRIPT}</script>
</body>
</html>
`;
}

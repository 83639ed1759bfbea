// The browser side of /debug/ui, part 2: the actor table, summary, legend and the polling loop.
// Runs after UI_MESH_SCRIPT in the same <script>; same rules (no template literals, no innerHTML).
export const UI_MAIN_SCRIPT = `
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

function drawReadiness(body) {
  for (const part of ["registered", "prefix", "dataplane"]) {
    document.getElementById("ready-" + part).className = "pill " + (body && body[part] ? "ok" : "bad");
  }
}

// /readyz answers 503 with the same JSON body while not ready; only the tree is required.
function fetchReadiness() {
  return fetch("../readyz", { cache: "no-store" }).then(function (res) { return res.json(); }, function () { return null; });
}

let refreshes = 0;
async function poll() {
  const banner = document.getElementById("banner");
  try {
    const answers = await Promise.all([fetch("actors", { cache: "no-store" }), fetchReadiness()]);
    if (!answers[0].ok) throw new Error("GET /debug/actors answered " + answers[0].status);
    const tree = await answers[0].json(), now = Date.now();
    // Everything is drawn from one round of answers, then the refresh is counted (tests wait on it).
    drawMesh(tree); drawTable(tree, now); drawSummary(tree); drawReadiness(answers[1]);
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

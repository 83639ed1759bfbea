// The browser side of /debug/ui, part 2: the actor table, summary, legend and the polling loop.
// Runs after the model and mesh parts in the same <script>; same rules (no template literals, no
// innerHTML). It polls /debug/mesh: this endpoint's tree, or every endpoint's in a sandbox.
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

function drawTable(trees, now) {
  const all = [];
  for (const tree of trees) flatten(tree, 0, all);
  const rows = all.map(function (item) {
    const v = item.view, t = tone(v.state), tr = html("tr", { "data-id": v.id, class: v.lastError ? "err" : "" });
    // In a sandbox every endpoint's root is "endpoint": its name tells them apart.
    const id = trees.length > 1 && item.depth === 0 ? v.id + " " + nameOf(v) : v.id;
    const idCell = html("td", { class: "mono", style: "padding-left:" + (10 + item.depth * 18) + "px" }, id);
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

// Peer links (each counted once, whoever serves it) and NSC connections; a served peer link is no NSC.
function drawSummary(model) {
  const trees = model.trees, tree = trees[0], single = trees.length === 1, links = [...model.links.values()];
  const up = links.filter(function (l) { return tone(l.state) === "up"; }).length;
  document.getElementById("count-peers").textContent = up + " / " + links.length;
  document.getElementById("count-peers-label").textContent = single ? "peers up / known" : "peer links up / known";
  let clients = 0;
  for (const t of trees) clients += t.children.filter(isClient).length;
  document.getElementById("count-clients").textContent = String(clients);
  const s = tree.subject || {};
  document.getElementById("prefix").textContent = single ? s.prefix || tree.routes.join(" ") || "–" : String(trees.length);
  document.getElementById("prefix-label").textContent = single ? "prefix" : "endpoints";
  document.getElementById("endpoint-name").textContent = single ? s.name || tree.id : "sandbox mesh";
  const worst = trees.map(function (t) { return t.state; }).find(function (st) { return tone(st) !== "up"; }) || tree.state;
  const pill = document.getElementById("endpoint-state");
  pill.className = "pill tone-" + tone(worst);
  pill.lastChild.textContent = single ? tree.state : trees.length + " endpoints " + (tone(worst) === "up" ? "serving" : worst);
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
  client.append(sw, html("strong", {}, "NSC"), html("span", {}, "client connection, with its address; a peer's link is drawn as a peer link"));
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
    const answers = await Promise.all([fetch("mesh", { cache: "no-store" }), fetchReadiness()]);
    if (!answers[0].ok) throw new Error("GET /debug/mesh answered " + answers[0].status);
    const trees = (await answers[0].json()).endpoints, now = Date.now();
    // Everything is drawn from one round of answers, then the refresh is counted (tests wait on it).
    const model = drawMesh(trees);
    drawTable(trees, now); drawSummary(model); drawReadiness(answers[1]);
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

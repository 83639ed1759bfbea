// The browser side of /debug/ui, part 0: from the endpoints' trees (one for an NSE, all of a sandbox's
// for the demo) to what is drawn: endpoints, peers, the links between them and the clients. A
// connection a peer dialled to an endpoint is that peer's link, never a client. Same rules as the
// other parts: plain ES2020 in a string, no template literals.
export const UI_MODEL_SCRIPT = String.raw`
"use strict";
const HOST_ROUTE = /\/(32|128)$/;

function nameOf(view) {
  const s = view.subject || {}, slash = view.id.indexOf("/");
  return s.peer || s.name || (slash >= 0 ? view.id.slice(slash + 1) : view.id);
}

function isClient(view) { return view.kind === "connection" && (view.subject || {}).kind !== "peer"; }
function isServedLink(view) { return view.kind === "connection" && (view.subject || {}).kind === "peer"; }
function prefixOf(view) {
  if (!view) return "";
  const s = view.subject || {};
  return s.prefix || (view.routes || []).find(function (r) { return !HOST_ROUTE.test(r); }) || "";
}

// The state a link is drawn in: the dialling side's peer actor, else any peer actor, else the served link.
function linkState(ends) {
  const dial = ends.find(function (e) { return e.actor && e.actor.subject.role === "dial"; });
  const any = ends.find(function (e) { return e.actor; });
  const pick = dial ? dial.actor : any ? any.actor : ends[0].served[0];
  return { state: pick.state, since: pick.since };
}

function meshModel(trees) {
  const nodes = new Map(), links = new Map();
  for (const tree of trees) {
    nodes.set(nameOf(tree), { name: nameOf(tree), local: true, view: tree, prefix: prefixOf(tree),
      clients: tree.children.filter(isClient), neighbours: [] });
  }
  for (const tree of trees) {
    const me = nameOf(tree), peers = new Map();
    const entry = function (name) {
      if (!peers.has(name)) peers.set(name, { actor: undefined, served: [] });
      return peers.get(name);
    };
    for (const child of tree.children) {
      if (child.kind === "peer") entry(nameOf(child)).actor = child;
      else if (isServedLink(child)) entry(nameOf(child)).served.push(child);
    }
    peers.forEach(function (p, name) {
      const view = p.actor || p.served[0];
      if (!nodes.has(name)) {
        nodes.set(name, { name: name, local: false, view: view, served: p.served,
          prefix: prefixOf(p.actor) || prefixOf(p.served[0]), clients: [], neighbours: [] });
      }
      const key = [me, name].sort().join(" \u2194 ");
      if (!links.has(key)) {
        links.set(key, { key: key, a: me, b: name, peerId: view.id, ends: [] });
        nodes.get(me).neighbours.push(name);
        nodes.get(name).neighbours.push(me);
      }
      links.get(key).ends.push({ from: me, to: name, actor: p.actor, served: p.served });
    });
  }
  links.forEach(function (link) { Object.assign(link, linkState(link.ends)); });
  return { nodes: nodes, links: links, trees: trees };
}

function when(iso) {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? new Date(t).toLocaleTimeString() + " (" + ago(iso, Date.now()) + ")" : "?";
}

function describe(view) {
  const lines = [view.id + " (" + view.machine + ")", "state: " + view.state + " since " + when(view.since)];
  for (const key in view.subject || {}) lines.push(key + ": " + view.subject[key]);
  if (view.addresses.length) lines.push("addresses: " + view.addresses.join(", "));
  if (view.routes.length) lines.push("routes: " + view.routes.join(", "));
  if (view.lastError) lines.push("last error: " + view.lastError);
  return lines.join("\n");
}

function describeLink(link) {
  const lines = [link.key + ": " + link.state + " since " + when(link.since)];
  for (const end of link.ends) {
    if (end.actor) lines.push(end.from + ": peer actor " + end.actor.state + " (" + end.actor.subject.role + ")");
    for (const s of end.served) lines.push(end.from + ": serves " + s.id + " (" + s.state + ")");
  }
  return lines.join("\n");
}
`;

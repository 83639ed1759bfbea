// Record names from NSM_DNS_TEMPLATES: the subset of Go's text/template that NSM's vL3 templates
// use ({{ index .Labels "podName" }}, {{ .NetworkService }}, pipelines, and NSM's `target`/`domain`
// for name@domain), so that a name a Go vL3 endpoint would give a workload is the name we give it.

/** What a template sees: the Connection's fields under their Go names. */
export interface TemplateData {
  Id: string;
  NetworkService: string;
  NetworkServiceEndpointName: string;
  Payload: string;
  Labels: Record<string, string>;
}

export class TemplateError extends Error {
  constructor(
    readonly template: string,
    reason: string,
  ) {
    super(`"${template}": ${reason}`);
    this.name = "TemplateError";
  }
}

type Operand =
  | { kind: "field"; path: string[] }
  | { kind: "string"; value: string }
  | { kind: "ident"; name: string };
type Command = Operand[];
type Part = { text: string } | { pipeline: Command[] };

const FUNCTIONS: Record<string, (args: unknown[]) => unknown> = {
  index: ([m, ...keys]) =>
    keys.reduce<unknown>(
      (v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[String(k)] : undefined),
      m,
    ),
  // NSM's interdomain helpers: "name@domain" → "name" and "domain".
  target: (args) => String(args.at(-1) ?? "").split("@")[0],
  domain: (args) => String(args.at(-1) ?? "").split("@")[1] ?? "",
};

function tokenize(template: string, src: string): Operand[][] {
  const commands: Operand[][] = [[]];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|(\|)|(\.[A-Za-z0-9_.]*)|([A-Za-z_][A-Za-z0-9_]*))/y;
  let at = 0;
  while (at < src.length) {
    if (/^\s*$/.test(src.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(src);
    if (!m) throw new TemplateError(template, `cannot read "${src.slice(at).trim()}"`);
    at = re.lastIndex;
    if (m[1] !== undefined) commands.at(-1)!.push({ kind: "string", value: JSON.parse(`"${m[1]}"`) });
    else if (m[2]) commands.push([]);
    else if (m[3] !== undefined)
      commands.at(-1)!.push({ kind: "field", path: m[3].split(".").filter(Boolean) });
    else {
      if (!FUNCTIONS[m[4]!])
        throw new TemplateError(template, `unknown function "${m[4]}" (index, target, domain)`);
      commands.at(-1)!.push({ kind: "ident", name: m[4]! });
    }
  }
  if (commands.some((c) => c.length === 0))
    throw new TemplateError(template, `empty command in "{{${src}}}"`);
  return commands;
}

export interface NameTemplate {
  source: string;
  render(data: TemplateData): string;
}

export function parseTemplate(source: string): NameTemplate {
  const parts: Part[] = [];
  let rest = source;
  while (rest.length > 0) {
    const open = rest.indexOf("{{");
    if (open < 0) {
      parts.push({ text: rest });
      break;
    }
    const close = rest.indexOf("}}", open);
    if (close < 0) throw new TemplateError(source, "an action is opened with {{ and not closed");
    let text = rest.slice(0, open);
    let inner = rest.slice(open + 2, close);
    let after = rest.slice(close + 2);
    // Go's trim markers: "{{-" eats the space before the action, "-}}" the space after it.
    if (inner.startsWith("-")) {
      text = text.trimEnd();
      inner = inner.slice(1);
    }
    if (inner.endsWith("-")) {
      inner = inner.slice(0, -1);
      after = after.trimStart();
    }
    if (text) parts.push({ text });
    parts.push({ pipeline: tokenize(source, inner) });
    rest = after;
  }
  return {
    source,
    render: (data) => parts.map((p) => ("text" in p ? p.text : run(p.pipeline, data))).join(""),
  };
}

function value(op: Operand, data: TemplateData): unknown {
  if (op.kind === "string") return op.value;
  if (op.kind === "field")
    return op.path.reduce<unknown>(
      (v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined),
      data,
    );
  return undefined;
}

function run(pipeline: Command[], data: TemplateData): string {
  let carried: unknown;
  pipeline.forEach((command, i) => {
    const [head, ...rest] = command;
    const args = (head!.kind === "ident" ? rest : command).map((op) => value(op, data));
    if (i > 0) args.push(carried);
    carried = head!.kind === "ident" ? FUNCTIONS[head!.name]!(args) : args.at(-1);
  });
  // A missing label or field renders as nothing (as `index` does in Go), never as "<no value>".
  return carried === undefined || carried === null ? "" : String(carried);
}

/** Parses a comma-separated NSM_DNS_TEMPLATES value. */
export function parseTemplates(list: string): NameTemplate[] {
  return list
    .split(/,(?![^{]*}})/)
    .map((s) => s.trim())
    .filter(Boolean)
    .map(parseTemplate);
}

export const DEFAULT_TEMPLATES = '{{ index .Labels "podName" }}.{{ .NetworkService }}.';

/**
 * The DNS names a connection gets: each template rendered, runs of dots collapsed (as NSM does),
 * lower case, with a trailing dot. A name with an empty label (a label the request lacks) is no
 * name at all, where NSM would keep a junk record such as ".vl3-service.".
 */
export function namesFor(templates: NameTemplate[], data: TemplateData): string[] {
  const names = new Set<string>();
  for (const t of templates) {
    const raw = t
      .render(data)
      .replace(/\.{2,}/g, ".")
      .toLowerCase();
    if (raw === "" || raw === "." || raw.startsWith(".")) continue;
    names.add(raw.endsWith(".") ? raw : `${raw}.`);
  }
  return [...names];
}

/** NSM's search domains for a set of names: every proper suffix, "a.b.c." → "b.c", "c". */
export function searchDomainsFor(names: string[]): string[] {
  const out = new Set<string>();
  for (const name of names) {
    const labels = name.replace(/^\.+|\.+$/g, "").split(".");
    for (let i = 1; i < labels.length; i++) out.add(labels.slice(i).join("."));
  }
  return [...out];
}

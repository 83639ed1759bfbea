// Where a heap's bytes go: a V8 heap snapshot (the .heapsnapshot JSON) summed by what each node is
// (an object by its constructor, "(closure)", "(string)", "(array)", "(compiled code)", ...), and the
// difference between two snapshots, for bench:memory.
import { readFileSync } from "node:fs";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Self size in bytes and count, by kind, of every node in the snapshot file. */
export function summarize(file: string): Map<string, { bytes: number; count: number }> {
  const s = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ["type", "name", "self_size"].map((f) => fields.indexOf(f)) as [
    number,
    number,
    number,
  ];
  const out = new Map<string, { bytes: number; count: number }>();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + typeAt]!]!;
    const name = s.strings[s.nodes[i + nameAt]!]!;
    const kind =
      type === "object" ? name : type === "native" ? `(native) ${name.split(" ")[0]}` : `(${type})`;
    const entry = out.get(kind) ?? { bytes: 0, count: 0 };
    entry.bytes += s.nodes[i + sizeAt]!;
    entry.count++;
    out.set(kind, entry);
  }
  return out;
}

/** What grew from `before` to `after`, biggest first, per unit (e.g. per connection). */
export function growth(
  before: Map<string, { bytes: number; count: number }>,
  after: Map<string, { bytes: number; count: number }>,
  units: number,
  top: number,
): { kind: string; bytesPerUnit: number; countPerUnit: number }[] {
  return [...after]
    .map(([kind, a]) => {
      const b = before.get(kind) ?? { bytes: 0, count: 0 };
      return { kind, bytesPerUnit: (a.bytes - b.bytes) / units, countPerUnit: (a.count - b.count) / units };
    })
    .sort((x, y) => y.bytesPerUnit - x.bytesPerUnit)
    .slice(0, top);
}

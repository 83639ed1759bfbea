// The chaos test's schedule: a seeded sequence of kill -9s and restarts of endpoints, one registry
// restart and one prefix-server restart, with gaps between them. Pure, so that a seed that failed
// gives the very same sequence again (CHAOS_SEED=<seed>).

export type Step =
  | { at: number; kind: "kill"; name: string }
  | { at: number; kind: "restart"; name: string }
  | { at: number; kind: "registry" }
  | { at: number; kind: "prefix-server" };

/** mulberry32: a small, well-known 32-bit PRNG; enough to shuffle a schedule reproducibly. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PlanOptions {
  names: string[];
  /** Kill and restart steps; the two server restarts come on top, at seeded places. */
  steps: number;
  /** Never fewer endpoints alive than this. */
  minAlive: number;
  /** Gaps between steps, drawn uniformly in this range (ms); `at` is the sum of the gaps so far. */
  gapMs: [number, number];
}

export function plan(seed: number, o: PlanOptions): Step[] {
  const random = rng(seed);
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
  const alive = new Set(o.names);
  const dead: string[] = [];
  const registryAt = Math.floor(random() * o.steps);
  const prefixAt = Math.floor(random() * o.steps);
  const out: Step[] = [];
  let at = 0;
  const gap = () => (at += Math.round(o.gapMs[0] + random() * (o.gapMs[1] - o.gapMs[0])));
  for (let i = 0; i < o.steps; i++) {
    if (i === registryAt) out.push({ at: gap(), kind: "registry" });
    if (i === prefixAt) out.push({ at: gap(), kind: "prefix-server" });
    const kill = dead.length === 0 || (alive.size > o.minAlive && random() < 0.6);
    if (kill) {
      const name = pick([...alive].sort());
      alive.delete(name);
      dead.push(name);
      out.push({ at: gap(), kind: "kill", name });
    } else {
      const name = dead.splice(Math.floor(random() * dead.length), 1)[0]!;
      alive.add(name);
      out.push({ at: gap(), kind: "restart", name });
    }
  }
  return out;
}

/** The endpoints alive after `steps`. */
export function survivors(names: string[], steps: Step[]): string[] {
  const alive = new Set(names);
  for (const s of steps) {
    if (s.kind === "kill") alive.delete(s.name);
    if (s.kind === "restart") alive.add(s.name);
  }
  return [...alive].sort();
}

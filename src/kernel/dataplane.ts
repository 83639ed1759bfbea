// The Linux kernel back end: the endpoint's interfaces, addresses and routes in its own network
// namespace, programmed with one `ip -batch` per transaction. iproute2 has no atomic batch, so a
// transaction that fails part-way is undone here with inverse commands.
import {
  type Dataplane,
  DataplaneUnavailableError,
  type Item,
  itemKey,
  type Transaction,
} from "../dataplane/types.js";
import { type Logger, silentLogger } from "../log.js";
import { canonicalItem, delLine, delOrder, isAlreadyGone, putLine, putOrder } from "./commands.js";
import { type BatchFailure, IpError, ipBatch } from "./ip.js";
import { addressItems, foundInterface, linksUp, readState, routeItems } from "./read.js";
import { enableForwarding } from "./sysctl.js";

export interface KernelDataplaneOptions {
  /** A name under /run/netns; undefined = this process's network namespace. */
  netns?: string;
  log?: Logger;
  /** Links whose addresses and routes resync may remove; default the NSE's "nsc-" and "vl3-". */
  ownedPrefixes?: string[];
  /** Bound on one `ip` run. */
  timeoutMs?: number;
}

/** A transaction (or resync) failed; for apply, everything it had done was undone. */
export class KernelTransactionError extends Error {
  override name = "KernelTransactionError";
  constructor(
    message: string,
    readonly failure: BatchFailure,
    /** Undo commands that failed too (then the kernel may still hold part of the transaction). */
    readonly rollbackFailures: BatchFailure[] = [],
  ) {
    super(message);
  }
}

/** One batch line and what undoes it once it has run. */
interface Step {
  item: Item;
  kind: "put" | "del";
  line: string;
  undo?: string;
}

export class KernelDataplane implements Dataplane {
  readonly name = "kernel";
  /** An `ip -batch` process costs ~20 ms whatever it carries: a burst goes in as one. */
  readonly maxBatch = 1024;
  /** A named namespace is this NSE's own in the sandbox; the file is what its links end in. */
  readonly netnsFile: string | undefined;
  private readonly netns: string | undefined;
  private readonly log: Logger;
  private readonly prefixes: string[];
  private readonly timeoutMs: number | undefined;
  /** What our successful transactions left programmed, by canonical key. */
  private readonly applied = new Map<string, Item>();

  constructor(options: KernelDataplaneOptions = {}) {
    this.netns = options.netns;
    this.netnsFile = options.netns ? `/run/netns/${options.netns}` : undefined;
    this.log = (options.log ?? silentLogger()).child({ dataplane: "kernel", netns: this.netns ?? "(own)" });
    this.prefixes = options.ownedPrefixes ?? ["nsc-", "vl3-"];
    this.timeoutMs = options.timeoutMs;
  }

  async apply(txn: Transaction): Promise<void> {
    const steps = this.steps(txn);
    const failures = await this.batch(steps.map((s) => s.line));
    const fatal = failures.filter((f) => !isHarmless(f, steps));
    if (fatal.length === 0) {
      for (const item of txn.put.map(canonicalItem)) this.applied.set(itemKey(item), item);
      for (const item of txn.del.map(canonicalItem)) this.applied.delete(itemKey(item));
      this.log.debug({ lines: steps.length, put: txn.put.length, del: txn.del.length }, "applied");
      return;
    }
    // With -force every line ran: undo the ones that took effect, newest first.
    const failed = new Set(failures.map((f) => f.line));
    const undo = steps
      .filter((s, i) => !failed.has(i + 1) && s.undo)
      .map((s) => s.undo!)
      .reverse();
    const undoFailures = (await this.batch(undo)).filter((f) => !isAlreadyGone(f.message));
    const first = fatal[0]!;
    const where = this.netns ? ` in netns ${this.netns}` : "";
    let message = `kernel data plane${where}: "${first.command}" failed: ${describe(first, steps)}`;
    message += undoFailures.length
      ? `; rollback incomplete: ${undoFailures.map((f) => `"${f.command}": ${f.message}`).join(", ")}`
      : `; rolled back ${undo.length} command(s)`;
    this.log.warn({ failure: first, undo: undo.length, undoFailures }, "transaction rolled back");
    throw new KernelTransactionError(message, first, undoFailures);
  }

  async resync(desired: Item[]): Promise<void> {
    const want = desired.map(canonicalItem);
    const wantKeys = new Set(want.map(itemKey));
    const known = new Set(want.filter((i) => i.type === "interface").map((i) => i.name));
    await this.guard(() => enableForwarding({ netns: this.netns }));
    const state = await this.guard(() => readState({ netns: this.netns }));
    const owns = (name: string) => known.has(name) || this.owns(name);
    const extras = [...routeItems(state, owns), ...addressItems(state, owns)].filter(
      (i) => !wantKeys.has(itemKey(i)),
    );
    const steps: Step[] = [
      ...delOrder(extras).map((item) => ({ item, kind: "del" as const, line: delLine(item)! })),
      ...putOrder(want).map((item) => ({ item, kind: "put" as const, line: putLine(item) })),
    ];
    const failures = await this.batch(steps.map((s) => s.line));
    const fatal = failures.filter((f) => !isHarmless(f, steps));
    this.applied.clear();
    const failedItems = new Set(fatal.map((f) => itemKey(steps[f.line - 1]!.item)));
    for (const item of want) if (!failedItems.has(itemKey(item))) this.applied.set(itemKey(item), item);
    this.log.info({ removed: extras.length, desired: want.length, failed: fatal.length }, "resync");
    if (fatal.length > 0) {
      // Resync converges rather than rolls back: what could be applied stays, the rest is reported.
      const list = fatal.map((f) => `"${f.command}": ${describe(f, steps)}`).join(", ");
      throw new KernelTransactionError(`kernel data plane resync: ${list}`, fatal[0]!);
    }
  }

  async dump(): Promise<Item[]> {
    const state = await this.guard(() => readState({ netns: this.netns }));
    const known = new Set(
      [...this.applied.values()].filter((i) => i.type === "interface").map((i) => i.name),
    );
    const owns = (name: string) => known.has(name) || this.owns(name);
    const interfaces = linksUp(state, owns).map(
      (name) => this.applied.get(`interface/${name}`) ?? foundInterface(name),
    );
    return [...interfaces, ...addressItems(state, owns), ...routeItems(state, owns)];
  }

  async close(): Promise<void> {
    // Nothing long-lived: each transaction is its own `ip` process.
  }

  private owns(name: string): boolean {
    return this.prefixes.some((p) => name.startsWith(p));
  }

  /** Deletes first (routes, addresses), then puts (links, addresses, routes): a route whose key
   * changed is removed before its replacement is added. */
  private steps(txn: Transaction): Step[] {
    const steps: Step[] = [];
    for (const item of delOrder(txn.del.map(canonicalItem))) {
      const line = delLine(item);
      if (line) steps.push({ item, kind: "del", line, undo: putLine(item) });
    }
    for (const item of putOrder(txn.put.map(canonicalItem))) {
      // What was already there before this transaction stays on rollback; links are never taken
      // down (the forwarder brought them up and owns them).
      const undo = this.applied.has(itemKey(item)) ? undefined : delLine(item);
      steps.push({ item, kind: "put", line: putLine(item), undo });
    }
    return steps;
  }

  private batch(lines: string[]): Promise<BatchFailure[]> {
    return this.guard(() => ipBatch(lines, { netns: this.netns, force: true, timeoutMs: this.timeoutMs }));
  }

  /** A missing namespace or `ip` binary is an unavailable back end: the queue retries later. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof IpError && err.unavailable) throw new DataplaneUnavailableError(err.message);
      const gone = /cannot open \/run\/netns\//.test((err as Error).message);
      if (gone || (err as NodeJS.ErrnoException).code === "ENOENT") {
        throw new DataplaneUnavailableError((err as Error).message);
      }
      throw err;
    }
  }
}

/** A delete of something already gone did what it wanted. */
function isHarmless(f: BatchFailure, steps: Step[]): boolean {
  return steps[f.line - 1]?.kind === "del" && isAlreadyGone(f.message);
}

function describe(f: BatchFailure, steps: Step[]): string {
  const item = steps[f.line - 1]?.item;
  if (item && /Cannot find device/.test(f.message)) {
    const name = item.type === "interface" ? item.name : item.ifName;
    return `interface ${name} does not exist (the forwarder creates it): ${f.message}`;
  }
  return f.message;
}

// A prefix source the test moves by hand: what a prefix server or a lost lease would tell the endpoint.
import type { PrefixSource } from "../../src/prefix/types.js";

export class MovablePrefix implements PrefixSource {
  readonly kind = "movable";
  private readonly listeners = new Set<(prefix: string) => void>();
  constructor(private prefix: string) {}
  async start() {
    return this.prefix;
  }
  current() {
    return this.prefix;
  }
  onChange(listener: (prefix: string) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  async stop() {}
  /** Tells the endpoint of a new prefix, as a source's stream handler would (any throw reaches the caller). */
  move(prefix: string) {
    this.prefix = prefix;
    for (const l of this.listeners) l(prefix);
  }
}

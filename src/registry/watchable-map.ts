// A name-keyed map that tells its watchers about every put and delete: the store behind the
// sandbox registry's Find with watch.

export interface Watcher<T> {
  matches(item: T): boolean;
  send(item: T, deleted: boolean): void;
}

export class WatchableMap<T extends { name: string }> {
  private readonly items = new Map<string, T>();
  private readonly watchers = new Set<Watcher<T>>();

  get(name: string): T | undefined {
    return this.items.get(name);
  }

  list(filter: (item: T) => boolean = () => true): T[] {
    return [...this.items.values()].filter(filter);
  }

  put(item: T): void {
    this.items.set(item.name, item);
    this.notify(item, false);
  }

  delete(name: string): T | undefined {
    const item = this.items.get(name);
    if (item === undefined) return undefined;
    this.items.delete(name);
    this.notify(item, true);
    return item;
  }

  /** Registers a watcher; returns the function that removes it. */
  watch(watcher: Watcher<T>): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /** Forgets everything and every watcher, without telling them (a registry that lost its state). */
  reset(): void {
    this.items.clear();
    this.watchers.clear();
  }

  private notify(item: T, deleted: boolean): void {
    for (const w of this.watchers) if (w.matches(item)) w.send(item, deleted);
  }
}

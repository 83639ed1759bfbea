// Errors of the IPAM room besides CidrError (malformed input, in cidr.ts).

/** Every usable address or prefix is taken or excluded; `prefix` names the pool that ran dry. */
export class PoolExhaustedError extends Error {
  override name = "PoolExhaustedError";
  constructor(
    readonly prefix: string,
    detail: string,
  ) {
    super(`${prefix}: ${detail}`);
  }
}

/** Restored allocations disagree with each other or with what is already held. */
export class AllocationConflictError extends Error {
  override name = "AllocationConflictError";
}

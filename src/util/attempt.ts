// A call as a promise, also when it throws instead of rejecting: an element or handler that throws
// at once (validate does) is answered or measured like one that rejects.

export function attempt<T>(work: () => T | Promise<T>): Promise<T> {
  return new Promise<T>((resolve) => resolve(work()));
}

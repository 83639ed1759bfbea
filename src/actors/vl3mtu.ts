// NSM's vL3 MTU rule: one MTU for the whole vL3, the smallest any connection has shown. A request
// asks for at most that (0 or more becomes it); an answer lower than it lowers it for good, and every
// other connection is then asked to refresh so that it learns the new one. Pure: the runtime asks.

/** Where NSM's vL3 starts: a jumbo frame. */
export const JUMBO_MTU = 9000;

export class Vl3Mtu {
  private min = JUMBO_MTU;

  get current(): number {
    return this.min;
  }

  /** The MTU a request is answered with: its own, unless that is 0 or above the vL3's. */
  clamp(requested: number): number {
    return requested === 0 || requested > this.min ? this.min : requested;
  }

  /** A committed answer's MTU: true if it lowered the vL3's (the others must refresh). Never goes up. */
  seen(mtu: number): boolean {
    if (mtu <= 0 || mtu >= this.min) return false;
    this.min = mtu;
    return true;
  }
}

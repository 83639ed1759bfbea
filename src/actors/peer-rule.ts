// Exactly one link per pair of vL3 NSEs, whatever the start order or timing: of two peers, the one
// whose name sorts first (plain string order, the same on both sides) dials; the other accepts.
export function dials(self: string, peer: string): boolean {
  return self < peer;
}

// The sandbox's DNS, in process (after the NSM sdk's fake_resolver.go): SRV and A records under one
// name, `registry.nsm-system.<domain>` and `nsmgr-proxy.nsm-system.<domain>`, added when a domain's
// server starts and removed when it stops. Keeps real DNS's quirks: first record wins, unknown fails.
import type { DomainResolver } from "../registry/resolve.js";

export class FakeDomainResolver implements DomainResolver {
  private readonly records = new Map<string, { ip: string; port: number }>();
  /** Look-ups answered, by name (tests check that NSM's names were asked). */
  readonly asked = new Map<string, number>();

  /** Publishes `service.domain` at a `host:port` or `tcp://host:port` URL. */
  add(name: string, url: string): void {
    const m = /^(?:tcp:\/\/)?(\[[^\]]+\]|[^:]+):(\d+)$/.exec(url);
    if (!m) throw new Error(`fake resolver: "${url}" is not host:port`);
    this.records.set(name, { ip: m[1]!.replace(/^\[|\]$/g, ""), port: Number(m[2]) });
  }

  remove(name: string): void {
    this.records.delete(name);
  }

  names(): string[] {
    return [...this.records.keys()];
  }

  async lookupSrv(name: string): Promise<Array<{ port: number }>> {
    return [{ port: this.find(name).port }];
  }

  async lookupIpAddr(name: string): Promise<string[]> {
    return [this.find(name).ip];
  }

  private find(name: string): { ip: string; port: number } {
    this.asked.set(name, (this.asked.get(name) ?? 0) + 1);
    const r = this.records.get(name);
    if (!r) throw Object.assign(new Error(`queryA ENOTFOUND ${name}`), { code: "ENOTFOUND" });
    return r;
  }
}

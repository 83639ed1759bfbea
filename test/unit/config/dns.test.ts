// Workload DNS settings: NSM's default template and listener rules, and the mistakes refused with the
// setting named (exit code 2 at the CLI).
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/config.js";
import { silentLogger } from "../../../src/log.js";
import { createDns } from "../../../src/parts.js";
import { configErrorOf } from "../../support/config.js";

const errorOf = configErrorOf;

describe("workload DNS configuration", () => {
  it("defaults to NSM's template, a 5 s TTL, a 1 s fanout timeout and no mixed fleet", () => {
    const c = loadConfig({});
    expect(c.dnsTemplates).toBe('{{ index .Labels "podName" }}.{{ .NetworkService }}.');
    expect([c.dnsListenOn, c.dnsTtlMs, c.dnsFanoutTimeoutMs, c.mixedFleet]).toEqual([
      "auto",
      5000,
      1000,
      false,
    ]);
  });

  it("listens where told, on port 53 with the kernel data plane by default, and nowhere otherwise", () => {
    const log = silentLogger();
    expect(loadConfig({ NSM_DNS_LISTEN_ON: "127.0.0.1:5353" }).dnsListenOn).toEqual({
      host: "127.0.0.1",
      port: 5353,
    });
    expect(loadConfig({ NSM_DNS_LISTEN_ON: "[::1]:53" }).dnsListenOn).toEqual({ host: "::1", port: 53 });
    expect(createDns(loadConfig({}), log)).toBeUndefined();
    expect(createDns(loadConfig({ NSM_DATAPLANE: "kernel", NSM_DNS_LISTEN_ON: "off" }), log)).toBeUndefined();
    expect(createDns(loadConfig({ NSM_DATAPLANE: "kernel" }), log)).toBeDefined();
  });

  it.each([
    [{ NSM_DNS_LISTEN_ON: "5353" }, "NSM_DNS_LISTEN_ON", /host:port/],
    [{ NSM_DNS_LISTEN_ON: "127.0.0.1:99999" }, "NSM_DNS_LISTEN_ON", /host:port/],
    [{ NSM_DNS_TEMPLATES: "{{ .Labels" }, "NSM_DNS_TEMPLATES", /not closed/],
    [{ NSM_DNS_TEMPLATES: "{{ lower .NetworkService }}." }, "NSM_DNS_TEMPLATES", /unknown function "lower"/],
    [{ NSM_DNS_TTL: "500ms" }, "NSM_DNS_TTL", /at least 1s/],
    [{ NSM_MIXED_FLEET: "maybe" }, "NSM_MIXED_FLEET", /./],
  ])("refuses %o naming %s", (env, key, message) => {
    const e = errorOf(env);
    expect(e.key).toBe(key);
    expect(e.message).toMatch(message);
  });
});

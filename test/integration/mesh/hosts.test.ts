// Endpoint hosts: four vl3-nse endpoints in two child processes reach the sandbox's registry, nsmgrs
// and prefix server over their real addresses and form a full mesh; a graceful stop is seen by the
// others; closing the hosts leaves no process behind.
import { statSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EndpointHosts, startEndpointHosts } from "../../../src/sandbox/endpoint-hosts.js";
import { type Sandbox, startSandbox } from "../../../src/sandbox/index.js";
import { eventually, expectDistinctPrefixes, QUICK } from "./helpers.js";

const NAMES = ["nse-a", "nse-b", "nse-c", "nse-d"];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A unix URL's socket by identity (device and inode), so a path and a descriptor of it compare equal. */
const socketOf = (url: string) => {
  const st = statSync(url.replace(/^unix:\/\//, ""), { bigint: true });
  return `${st.dev}/${st.ino}`;
};

describe("endpoints in two host processes", () => {
  let sb: Sandbox;
  let hosts: EndpointHosts | undefined;
  const meshed = new Set<string>();

  beforeAll(async () => {
    sb = await startSandbox({ nodes: 2, ...QUICK });
    hosts = await startEndpointHosts(2);
    hosts.onMeshed((name) => meshed.add(name));
    await Promise.all(
      NAMES.map((name, i) => hosts!.startEndpoint(name, sb.endpointEnv(name, { node: i }), { peers: 3 })),
    );
  }, 60_000);

  afterAll(async () => {
    await hosts?.close();
    await sb?.stop();
  });

  it("run as processes of their own", () => {
    expect(hosts!.pids).toHaveLength(2);
    expect(hosts!.pids).not.toContain(process.pid);
    for (const pid of hosts!.pids) expect(alive(pid), `host ${pid}`).toBe(true);
  });

  it("form a full mesh: every endpoint has 3 peers up, 6 links in all, distinct prefixes", async () => {
    const all = await eventually(async () => {
      const s = await hosts!.summary();
      expect(s.map((e) => `${e.name} ${e.peersUp}/${e.peers}`).sort()).toEqual(NAMES.map((n) => `${n} 3/3`));
      return s;
    }, 20_000);
    expect(all.reduce((sum, e) => sum + e.servedLinks, 0)).toBe(6);
    expectDistinctPrefixes(all.map((e) => e.prefix!));
    expect([...meshed].sort()).toEqual(NAMES);
    // None runs in this process; the sandbox's registry has them all, at the sockets the hosts listen on
    // (where descriptors pass: the nsmgr's descriptor of that socket, the same object).
    expect(sb.endpoints.size).toBe(0);
    const registered = sb.registry.entries().map((e) => `${e.name} ${socketOf(e.url)}`);
    expect(registered.sort()).toEqual(NAMES.map((n) => `${n} ${socketOf(sb.endpointEnv(n).NSM_LISTEN_ON!)}`));
  });

  it("see a graceful stop: the others drop to 2 peers", async () => {
    await hosts!.stopEndpoint("nse-b");
    await eventually(async () => {
      const s = await hosts!.summary();
      expect(s.map((e) => `${e.name} ${e.peersUp}/${e.peers}`).sort()).toEqual(
        ["nse-a", "nse-c", "nse-d"].map((n) => `${n} 2/2`),
      );
    }, 10_000);
  });

  it("leave no process behind when closed", async () => {
    const pids = hosts!.pids;
    await hosts!.close();
    hosts = undefined;
    for (const pid of pids) expect(alive(pid), `host ${pid}`).toBe(false);
  });
});

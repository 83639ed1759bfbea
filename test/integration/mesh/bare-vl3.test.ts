// bench:mesh's lower bound: bare vL3 endpoints (src/sandbox/bare-vl3.ts) form a full mesh through a
// plain-text sandbox's real registry and nsmgrs, in this process and in two endpoint host processes.
// Each learns its peers from its registry watch; one Request per pair, by the name-order rule, carries
// the dialler's prefix and comes back with the served side's, as the dialler's nsmgr reports it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Connection,
  type ConnectionEvent,
  ConnectionEventType,
  MonitorConnectionClient,
} from "../../../src/grpc/gen/networkservice/connection.js";
import { defaultTransport } from "../../../src/grpc/transport.js";
import { PEER_REQUEST_LABEL } from "../../../src/registry/labels.js";
import { type BareVl3, bareAddressing, startBareVl3 } from "../../../src/sandbox/bare-vl3.js";
import { startEndpointHosts } from "../../../src/sandbox/endpoint-hosts.js";
import { type Sandbox, startSandbox } from "../../../src/sandbox/index.js";
import { eventually } from "./helpers.js";

const NAMES = ["nse-0", "nse-1", "nse-2", "nse-3", "nse-4"];

/** What `nsmgr` holds of `name`'s links: the first event of a MonitorConnections stream selecting it. */
async function linksOf(nsmgr: string, name: string): Promise<Connection[]> {
  const client = defaultTransport.client(MonitorConnectionClient, nsmgr);
  const stream = client.monitorConnections({
    pathSegments: [{ name, id: "", token: "", expires: undefined, metrics: {} }],
    networkServices: [],
  });
  try {
    const first = await new Promise<ConnectionEvent>((resolve, reject) => {
      stream.once("data", resolve);
      stream.once("error", reject);
    });
    expect(first.type).toBe(ConnectionEventType.INITIAL_STATE_TRANSFER);
    return Object.values(first.connections);
  } finally {
    stream.on("error", () => {}); // the cancellation below
    stream.cancel();
    client.close();
  }
}

describe("bare vL3 endpoints (bench:mesh's lower bound), plain text", () => {
  let sb: Sandbox;
  let dir: string;
  const options = (name: string, index: number) => ({
    socket: join(dir, `${name}.sock`),
    nsmgr: sb.nsmgrs[index % sb.nsmgrs.length]!.url,
    service: sb.service,
    peers: NAMES.length - 1,
    timeoutMs: 5000,
  });

  beforeAll(async () => {
    sb = await startSandbox({ nodes: 2, security: false, registryExpiryMs: 60_000 });
    dir = mkdtempSync(join(tmpdir(), "bare-vl3-"));
  });

  afterAll(async () => {
    await sb?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("form a full mesh of 5 in this process: one link per pair, each side's prefix on it", async () => {
    const meshed = new Set<string>();
    const started: BareVl3[] = [];
    try {
      await Promise.all(
        NAMES.map(async (name, index) => {
          const o = options(name, index);
          const bare = await startBareVl3({
            ...o,
            name,
            listenOn: `unix://${o.socket}`,
            addressing: bareAddressing(index),
            onMeshed: () => meshed.add(name),
          });
          started.push(bare);
        }),
      );
      await eventually(() => expect([...meshed].sort()).toEqual(NAMES), 20_000);
      expect(started.map((b) => b.linked())).toEqual([4, 4, 4, 4, 4]);
      expect(
        sb.registry
          .entries()
          .map((e) => e.name)
          .sort(),
      ).toEqual(NAMES);
      // nse-0 sorts first: it dials all four, through nsmgr-0; the others dial it none.
      const links = await linksOf(sb.nsmgrs[0]!.url, "nse-0");
      const seen = links.map((c) => {
        const ip = c.context?.ipContext;
        expect(c.labels[PEER_REQUEST_LABEL]).toBe("nse-0");
        expect(c.path?.pathSegments[0]?.name).toBe("nse-0");
        expect(ip?.srcIpAddrs).toEqual(["172.16.0.1/32"]);
        expect(ip?.dstRoutes.map((r) => r.prefix)).toEqual(["172.16.0.1/32", "172.16.0.0/24"]);
        const peer = NAMES.indexOf(c.networkServiceEndpointName);
        expect(ip?.dstIpAddrs).toEqual([`172.16.${peer}.1/32`]);
        expect(ip?.srcRoutes.map((r) => r.prefix)).toEqual([`172.16.${peer}.1/32`, `172.16.${peer}.0/24`]);
        return c.networkServiceEndpointName;
      });
      expect(seen.sort()).toEqual(NAMES.slice(1));
      // nse-4 sorts last: it dials no one, and is dialled through nsmgr-0 by nse-0 and nse-2 (even indices).
      const toLast = await linksOf(sb.nsmgrs[0]!.url, "nse-4");
      expect(toLast.map((c) => c.path?.pathSegments[0]?.name).sort()).toEqual(["nse-0", "nse-2"]);
    } finally {
      await Promise.all(started.map((b) => b.stop()));
    }
  });

  it("form a full mesh of 5 in two endpoint host processes, each reporting meshed", async () => {
    const hosts = await startEndpointHosts(2);
    try {
      const meshed = new Set<string>();
      hosts.onMeshed((name) => meshed.add(name));
      await Promise.all(
        NAMES.map((name, index) => hosts.startBareVl3(name, { ...options(name, index), index })),
      );
      await eventually(() => expect([...meshed].sort()).toEqual(NAMES), 20_000);
      // 10 links in all, 4 dialled by nse-0 through nsmgr-0 (index 0).
      expect(await linksOf(sb.nsmgrs[0]!.url, "nse-0")).toHaveLength(4);
    } finally {
      await hosts.close();
    }
  });
});

// A local fake of the Kubernetes API server: a node:http server on 127.0.0.1 that answers exactly the
// calls vl3-nse makes (Leases, one ConfigMap's get + watch, Event create) with the API server's
// resourceVersion, 404/409/410/422 semantics, and records every request for the tests.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import * as k8s from "@kubernetes/client-node";
import type { ApiCall } from "../../../src/k8s/api-calls.js";
import { parseRequest, type RecordedRequest, readBody } from "./fake-request.js";
import { Stored, type StoredObject, statusBody, WatchHub } from "./fake-store.js";

type Fault = { match: (r: RecordedRequest) => boolean; status: number; left: number };

const DNS1123_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  private readonly leases = new Stored();
  private readonly events = new Stored();
  private readonly configMaps = new WatchHub();
  private faults: Fault[] = [];
  private held: (() => void)[] | undefined;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeApiServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeApiServer(server, `http://127.0.0.1:${port}`);
    server.on("request", (req, res) => void fake.handle(req, res));
    return fake;
  }

  /** A KubeConfig for this fake: plain http needs skipTLSVerify. */
  kubeConfig(namespace = "default"): k8s.KubeConfig {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(this.kubeconfigYaml(namespace));
    return kc;
  }

  kubeconfigYaml(namespace = "default"): string {
    return [
      "apiVersion: v1",
      "kind: Config",
      `clusters: [{name: fake, cluster: {server: "${this.url}", insecure-skip-tls-verify: true}}]`,
      "users: [{name: tester, user: {token: fake-token}}]",
      `contexts: [{name: fake, context: {cluster: fake, user: tester, namespace: ${namespace}}}]`,
      "current-context: fake",
      "",
    ].join("\n");
  }

  // --- state, as another client of the API server would see or change it ---
  lease(ns: string, name: string): k8s.V1Lease | undefined {
    return this.leases.get(ns, name) as k8s.V1Lease | undefined;
  }
  leaseList(ns: string): k8s.V1Lease[] {
    return this.leases.list(ns) as k8s.V1Lease[];
  }
  /** Writes a lease as another client would (new resourceVersion). */
  putLease(ns: string, lease: k8s.V1Lease): k8s.V1Lease {
    return this.leases.put(ns, lease as StoredObject) as k8s.V1Lease;
  }
  deleteLease(ns: string, name: string): void {
    this.leases.delete(ns, name);
  }
  setConfigMap(ns: string, name: string, data: Record<string, string>): void {
    this.configMaps.put(ns, { metadata: { name }, data } as StoredObject);
  }
  deleteConfigMap(ns: string, name: string): void {
    this.configMaps.remove(ns, name);
  }
  /** Closes every open watch from the server side, as an API server does at its timeout. */
  endWatches(): void {
    this.configMaps.endAll();
  }
  /** Holds new watch requests unanswered until the returned release function is called. */
  holdWatches(): () => void {
    const held: (() => void)[] = [];
    this.held = held;
    return () => {
      this.held = undefined;
      for (const go of held) go();
    };
  }
  /** Forgets watch history, so a watch from an older resourceVersion gets 410 Gone. */
  compact(): void {
    this.configMaps.compact();
  }
  eventList(ns: string): k8s.CoreV1Event[] {
    return this.events.list(ns) as unknown as k8s.CoreV1Event[];
  }
  /** The next `count` requests matching `match` are answered with `status` and not carried out. */
  fail(match: (r: RecordedRequest) => boolean, status: number, count = 1): void {
    this.faults.push({ match, status, left: count });
  }
  /** Recorded requests whose (group, resource, verb) is not in `declared`. */
  undeclared(declared: readonly ApiCall[]): RecordedRequest[] {
    return this.requests.filter(
      (r) => !declared.some((d) => d.group === r.group && d.resource === r.resource && d.verb === r.verb),
    );
  }

  async close(): Promise<void> {
    this.configMaps.endAll();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { rec, url, route: m } = parseRequest(req, this.url);
    const query = rec.query;
    const text = await readBody(req);
    if (text) rec.body = JSON.parse(text);
    this.requests.push(rec);
    const send = (status: number, body: unknown) => {
      rec.status = status;
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    const fault = this.faults.find((f) => f.left > 0 && f.match(rec));
    if (fault) {
      fault.left--;
      return send(fault.status, statusBody(fault.status, "Injected", "injected by the test"));
    }
    if (req.headers.authorization !== "Bearer fake-token")
      return send(401, statusBody(401, "Unauthorized", "no token"));
    if (!m) return send(404, statusBody(404, "NotFound", `no route ${url.pathname}`));
    const ns = m[2]!;
    const key = `${rec.group}/${rec.resource}:${rec.verb}`;
    switch (key) {
      case "coordination.k8s.io/leases:list":
        return send(200, this.leases.listResponse(ns, "LeaseList", query.labelSelector));
      case "coordination.k8s.io/leases:get":
      case "/configmaps:get":
      case "/events:get": {
        const store =
          rec.resource === "leases" ? this.leases : rec.resource === "events" ? this.events : this.configMaps;
        const obj = store.get(ns, rec.name!);
        return obj
          ? send(200, obj)
          : send(404, statusBody(404, "NotFound", `${rec.resource} "${rec.name}" not found`));
      }
      case "coordination.k8s.io/leases:create":
      case "/events:create": {
        const body = rec.body as StoredObject;
        const store = rec.resource === "leases" ? this.leases : this.events;
        if (body.metadata.generateName && !body.metadata.name)
          body.metadata.name = body.metadata.generateName + randomUUID().slice(0, 5);
        if (!DNS1123_SUBDOMAIN.test(body.metadata.name ?? ""))
          return send(
            422,
            statusBody(422, "Invalid", `metadata.name "${body.metadata.name}" is not a DNS-1123 subdomain`),
          );
        if (body.metadata.resourceVersion)
          return send(
            422,
            statusBody(422, "Invalid", "resourceVersion should not be set on objects to be created"),
          );
        if (
          rec.resource === "events" &&
          (body as unknown as k8s.CoreV1Event).involvedObject?.namespace !== ns
        ) {
          return send(
            422,
            statusBody(422, "Invalid", "involvedObject.namespace does not match the namespace"),
          );
        }
        if (store.get(ns, body.metadata.name!))
          return send(
            409,
            statusBody(409, "AlreadyExists", `${rec.resource} "${body.metadata.name}" already exists`),
          );
        return send(201, store.put(ns, body));
      }
      case "coordination.k8s.io/leases:update": {
        const body = rec.body as StoredObject;
        const cur = this.leases.get(ns, rec.name!);
        if (!cur) return send(404, statusBody(404, "NotFound", `leases "${rec.name}" not found`));
        if (body.metadata.name !== rec.name)
          return send(400, statusBody(400, "BadRequest", "name does not match"));
        const rv = body.metadata.resourceVersion;
        if (rv && rv !== cur.metadata.resourceVersion)
          return send(
            409,
            statusBody(
              409,
              "Conflict",
              "the object has been modified; please apply your changes to the latest version and try again",
            ),
          );
        return send(200, this.leases.put(ns, body));
      }
      case "coordination.k8s.io/leases:delete": {
        const cur = this.leases.get(ns, rec.name!);
        if (!cur) return send(404, statusBody(404, "NotFound", `leases "${rec.name}" not found`));
        const pre = (rec.body as k8s.V1DeleteOptions | undefined)?.preconditions;
        if (
          (pre?.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) ||
          (pre?.uid && pre.uid !== cur.metadata.uid)
        ) {
          return send(409, statusBody(409, "Conflict", "Precondition failed"));
        }
        this.leases.delete(ns, rec.name!);
        return send(200, {
          kind: "Status",
          apiVersion: "v1",
          status: "Success",
          details: { name: rec.name },
        });
      }
      case "/configmaps:watch": {
        const name = /^metadata\.name=(.+)$/.exec(query.fieldSelector ?? "")?.[1];
        if (!name)
          return send(400, statusBody(400, "BadRequest", "this fake watches one ConfigMap by fieldSelector"));
        rec.status = 200;
        const go = () => this.configMaps.watch(ns, name, query.resourceVersion, res);
        return this.held ? void this.held.push(go) : go();
      }
      default:
        return send(405, statusBody(405, "MethodNotAllowed", `the fake does not serve ${key}`));
    }
  }
}
export type { RecordedRequest } from "./fake-request.js";

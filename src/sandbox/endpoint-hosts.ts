// Endpoint hosts: K child processes that run the sandbox's endpoints, as a cluster runs each endpoint
// in a process of its own, so that a big mesh can use every core while the registry, the nsmgrs and
// the prefix server stay in this process. Children die with us: they exit when the IPC channel closes,
// and an exit handler here kills any that are left.
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { HostCommand, HostedEndpoint, HostMessage } from "./host-protocol.js";

/** Under tsx (tests, benchmarks) the host script is TypeScript too and needs tsx's loader. */
const TS = import.meta.url.endsWith(".ts");
const SCRIPT = fileURLToPath(new URL(`./endpoint-host.${TS ? "ts" : "js"}`, import.meta.url));

class Host {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  readonly exited: Promise<void>;
  /** Endpoints and bare servers placed here. */
  load = 0;

  constructor(
    readonly child: ChildProcess,
    onMeshed: (name: string) => void,
  ) {
    child.on("message", (m: HostMessage) => {
      if ("event" in m) return onMeshed(m.name);
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.ok) p?.resolve(m.value);
      else p?.reject(new Error(`endpoint host ${child.pid}: ${m.error}`));
    });
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        for (const p of this.pending.values())
          p.reject(new Error(`endpoint host ${child.pid} exited (${signal ?? code})`));
        this.pending.clear();
        resolve();
      }),
    );
  }

  call<T = void>(command: HostCommand): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (!this.child.connected) return reject(new Error(`endpoint host ${this.child.pid} is gone`));
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ ...command, id });
    });
  }
}

export interface EndpointHosts {
  /** The hosts' process ids, in host order. */
  pids: number[];
  /** Starts an endpoint on the least loaded host with `env` (Sandbox.endpointEnv). It signs and checks
   * path tokens with its SVID as `vl3-nse run` does, unless `pathTokens` is false (Sandbox.pathTokens). */
  startEndpoint(
    name: string,
    env: Record<string, string>,
    options?: { peers?: number; pathTokens?: boolean },
  ): Promise<void>;
  stopEndpoint(name: string, options?: { graceful?: boolean }): Promise<void>;
  /** kill -9 of the process hosting `name` (a crash: no goodbyes); an empty host takes its place.
   * Resolves, once it has exited, with the names of every endpoint it ran. */
  kill(name: string): Promise<string[]>;
  /** Called once per endpoint when it first has the `peers` links up it was started to expect. */
  onMeshed(listener: (name: string) => void): () => void;
  /** What every host with something placed runs; `skip`: not the host of that endpoint (one booting). */
  summary(options?: { skip?: string }): Promise<HostedEndpoint[]>;
  /** The benchmark's lower bound: a bare NetworkService server, and Requests from a named dialler. */
  startBareEndpoint(name: string, o: { socket: string; registry: string; service: string }): Promise<void>;
  dial(from: string, o: { to: string[]; nsmgr: string; service: string }): Promise<void>;
  /** The benchmark's vL3 lower bound: a bare vL3 endpoint (bare-vl3.ts), index `index` in the pool,
   * reported to onMeshed at `peers` links. */
  startBareVl3(
    name: string,
    o: { socket: string; nsmgr: string; service: string; index: number; peers: number; timeoutMs: number },
  ): Promise<void>;
  /** CPU time (user + system, µs) each host process has used so far, in host order. */
  cpu(): Promise<number[]>;
  /** Stops everything hosted (gracefully); the hosts stay, ready for a next sandbox. */
  reset(): Promise<void>;
  /** reset(), then the host processes end. */
  close(): Promise<void>;
}

export async function startEndpointHosts(count: number): Promise<EndpointHosts> {
  const listeners: Array<(name: string) => void> = [];
  const placed = new Map<string, Host>();
  const hosts: Host[] = [];
  const killAll = () => {
    for (const h of hosts) if (h.child.exitCode === null) h.child.kill("SIGKILL");
  };
  process.on("exit", killAll);
  const spawn = () => {
    const child = fork(SCRIPT, [], {
      execArgv: TS ? ["--import", import.meta.resolve("tsx")] : [],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    return new Host(child, (name) => {
      for (const l of listeners) l(name);
    });
  };
  for (let i = 0; i < count; i++) hosts.push(spawn());
  const place = (name: string) => {
    const host = hosts.reduce((a, b) => (b.load < a.load ? b : a));
    host.load++;
    placed.set(name, host);
    return host;
  };
  const hostOf = (name: string) => {
    const host = placed.get(name);
    if (!host) throw new Error(`no hosted ${name}`);
    return host;
  };
  const reset = async () => {
    placed.clear();
    for (const h of hosts) h.load = 0;
    await Promise.all(hosts.map((h) => h.call({ op: "stopAll" })));
  };
  return {
    get pids() {
      return hosts.map((h) => h.child.pid!);
    },
    startEndpoint: (name, env, o = {}) =>
      place(name).call({ op: "start", name, env, peers: o.peers, pathTokens: o.pathTokens }),
    stopEndpoint: async (name, o = {}) => {
      const host = hostOf(name);
      placed.delete(name);
      host.load--;
      await host.call({ op: "stop", name, graceful: o.graceful ?? true });
    },
    kill: async (name) => {
      const host = hostOf(name);
      const gone = [...placed].filter(([, h]) => h === host).map(([n]) => n);
      for (const n of gone) placed.delete(n);
      host.child.kill("SIGKILL");
      await host.exited;
      hosts[hosts.indexOf(host)] = spawn();
      return gone;
    },
    onMeshed: (listener) => {
      listeners.push(listener);
      return () => {
        const i = listeners.indexOf(listener);
        if (i >= 0) listeners.splice(i, 1);
      };
    },
    // Only hosts with something placed: a host just forked in a killed one's place may take seconds
    // to answer, and has nothing to tell.
    summary: async (o = {}) => {
      const skip = o.skip === undefined ? undefined : placed.get(o.skip);
      const asked = hosts.filter((h) => h.load > 0 && h !== skip);
      return (await Promise.all(asked.map((h) => h.call<HostedEndpoint[]>({ op: "summary" })))).flat();
    },
    startBareEndpoint: (name, o) => place(name).call({ op: "bare", name, ...o }),
    dial: (from, o) => hostOf(from).call({ op: "dial", from, ...o }),
    startBareVl3: (name, o) => place(name).call({ op: "vl3", name, ...o }),
    cpu: () => Promise.all(hosts.map((h) => h.call<number>({ op: "cpu" }))),
    reset,
    close: async () => {
      try {
        // A host that cannot reset (it died) is killed below all the same: nothing to keep or report.
        await reset().catch(() => undefined);
        for (const h of hosts) if (h.child.connected) h.child.disconnect();
        const timer = setTimeout(killAll, 5000);
        await Promise.all(hosts.map((h) => h.exited));
        clearTimeout(timer);
      } finally {
        killAll();
        process.off("exit", killAll);
      }
    },
  };
}

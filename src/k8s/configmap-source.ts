// The config file as a ConfigMap read and watched through the API (NSM_CONFIGMAP), so an edit
// reaches a running endpoint without a restart; the runtime applies what can change live.
import * as k8s from "@kubernetes/client-node";
import type { Overrides } from "../config/config.js";
import { ConfigError } from "../config/errors.js";
import { parseConfigFile } from "../config/file.js";
import { type Logger, silentLogger } from "../log.js";
import { type ApiCall, isStatus } from "./api-calls.js";

/** The calls this module makes: one named get, and a watch narrowed to that name. */
export const CONFIGMAP_API_CALLS = [
  { group: "", resource: "configmaps", verb: "get" },
  { group: "", resource: "configmaps", verb: "watch" },
] as const satisfies readonly ApiCall[];

/** The ConfigMap key holding the config file (the seed's file name). */
export const CONFIG_KEY = "config.yaml";

export interface ConfigMapSourceOptions {
  kubeConfig: k8s.KubeConfig;
  namespace: string;
  name: string;
  key?: string;
  /** A new, valid configuration (not called for the first one, which start() returns). */
  onChange: (overrides: Overrides) => void;
  /** An invalid edit, a deleted ConfigMap, a lost watch: the last good configuration stays. */
  onError: (err: Error) => void;
  log?: Logger;
  /** First delay before reading again after a failure; doubles up to retryMaxMs. */
  retryMs?: number;
  retryMaxMs?: number;
}

export class ConfigMapSource {
  private readonly core: k8s.CoreV1Api;
  private readonly log: Logger;
  private readonly key: string;
  private lastText: string | undefined;
  private resourceVersion: string | undefined;
  private controller: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failures = 0;
  private watchStarted = 0;
  /** Set when the watch is too old to resume (410): read the object again first. */
  private mustRead = false;

  constructor(private readonly opts: ConfigMapSourceOptions) {
    this.core = opts.kubeConfig.makeApiClient(k8s.CoreV1Api);
    this.log = (opts.log ?? silentLogger()).child({ configmap: this.ref });
    this.key = opts.key ?? CONFIG_KEY;
  }

  get ref(): string {
    return `${this.opts.namespace}/${this.opts.name}`;
  }

  /** Reads the ConfigMap and starts watching it. Rejects with ConfigError if it is missing or invalid. */
  async start(): Promise<Overrides> {
    let cm: k8s.V1ConfigMap;
    try {
      cm = await this.core.readNamespacedConfigMap({ name: this.opts.name, namespace: this.opts.namespace });
    } catch (err) {
      if (isStatus(err, 404)) throw new ConfigError("NSM_CONFIGMAP", `ConfigMap ${this.ref} not found`);
      throw err;
    }
    const text = cm.data?.[this.key];
    if (text === undefined)
      throw new ConfigError("NSM_CONFIGMAP", `ConfigMap ${this.ref} has no key ${this.key}`);
    const overrides = parseConfigFile(text, `ConfigMap ${this.ref}`);
    this.lastText = text;
    this.resourceVersion = cm.metadata?.resourceVersion;
    await this.watch();
    return overrides;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.controller?.abort();
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    this.watchStarted = Date.now();
    const path = `/api/v1/namespaces/${this.opts.namespace}/configmaps`;
    const query = {
      fieldSelector: `metadata.name=${this.opts.name}`,
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: true,
    };
    const controller = await new k8s.Watch(this.opts.kubeConfig).watch(
      path,
      query,
      (type, obj) => this.onEvent(type, obj),
      (err) => this.onDone(err),
    );
    if (this.stopped) controller.abort();
    this.controller = controller;
  }

  private onEvent(type: string, obj: k8s.V1ConfigMap & { code?: number; message?: string }): void {
    if (type === "ERROR") {
      // 410 Gone: our resourceVersion was compacted away; the watch ends and we read again.
      if (obj.code === 410) this.mustRead = true;
      else this.opts.onError(new Error(`watch of ConfigMap ${this.ref}: ${obj.message ?? "error"}`));
      return;
    }
    this.resourceVersion = obj.metadata?.resourceVersion ?? this.resourceVersion;
    if (type === "DELETED") {
      this.lastText = undefined;
      this.opts.onError(new Error(`ConfigMap ${this.ref} was deleted; keeping the last configuration`));
    } else if (type === "ADDED" || type === "MODIFIED") {
      this.take(obj);
    }
  }

  /** Parses a changed config.yaml; a bad edit is reported and the last good configuration stays. */
  private take(cm: k8s.V1ConfigMap): void {
    const text = cm.data?.[this.key];
    if (text === this.lastText) return;
    this.lastText = text;
    if (text === undefined) {
      this.opts.onError(new ConfigError("NSM_CONFIGMAP", `ConfigMap ${this.ref} has no key ${this.key}`));
      return;
    }
    let overrides: Overrides;
    try {
      overrides = parseConfigFile(text, `ConfigMap ${this.ref}`);
    } catch (err) {
      this.opts.onError(err as Error);
      return;
    }
    this.log.info("configuration changed");
    this.opts.onChange(overrides);
  }

  private onDone(err: unknown): void {
    this.controller = undefined;
    if (this.stopped) return;
    if (err) {
      this.failures++;
      this.mustRead = true;
      this.opts.onError(new Error(`watch of ConfigMap ${this.ref} failed: ${(err as Error).message ?? err}`));
    } else if (Date.now() - this.watchStarted > 1000) {
      this.failures = 0;
    } else {
      this.failures++; // closed at once: do not spin
    }
    const base = this.opts.retryMs ?? 500;
    const delay =
      this.failures === 0 ? 0 : Math.min(base * 2 ** (this.failures - 1), this.opts.retryMaxMs ?? 30_000);
    this.timer = setTimeout(() => void this.resume(), delay);
    this.timer.unref();
  }

  /** Watches again from where it was, or reads the object first when that is no longer possible. */
  private async resume(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.mustRead) {
        const cm = await this.core.readNamespacedConfigMap({
          name: this.opts.name,
          namespace: this.opts.namespace,
        });
        this.mustRead = false;
        this.resourceVersion = cm.metadata?.resourceVersion;
        this.take(cm);
      }
      await this.watch();
    } catch (err) {
      this.onDone(isStatus(err, 404) ? new Error(`ConfigMap ${this.ref} not found`) : err);
    }
  }
}

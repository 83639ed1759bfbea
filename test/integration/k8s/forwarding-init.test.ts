// The manifests' "forwarding" init container, run as a container runtime would run it: its own command,
// with exactly the capabilities it asks for (setpriv), in a namespace of its own (unshare) whose
// /proc/sys is read-only, as runtimes mount it for unprivileged containers. It turns forwarding on
// there; with NET_ADMIN alone the same command fails, which is why the manifest adds SYS_ADMIN.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import YAML from "yaml";

const DEPLOY = resolve(import.meta.dirname, "../../../deploy");
const has = (tool: string, arg: string) => spawnSync(tool, [arg], { timeout: 5_000 }).status === 0;
const usable = process.getuid?.() === 0 && has("unshare", "--version") && has("setpriv", "--version");

interface Init {
  name: string;
  command: string[];
  securityContext: { capabilities: { add: string[] } };
}

function initOf(file: string): Init {
  const w = YAML.parse(readFileSync(resolve(DEPLOY, file), "utf8")) as {
    spec: { template: { spec: { initContainers: Init[] } } };
  };
  return w.spec.template.spec.initContainers.find((c) => c.name === "forwarding")!;
}

/** Runs `command` with only `caps` in a new network and mount namespace with /proc/sys read-only and
 * a private /tmp; returns its exit code and the namespace's forwarding values after it. */
function runAsContainer(command: string[], caps: string[]) {
  const list = caps.map((c) => `+${c.toLowerCase()}`).join(",");
  const script = [
    "mount -t tmpfs tmpfs /tmp",
    "mount -o bind,ro /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys",
    `setpriv --inh-caps=-all,${list} --ambient-caps=-all,${list} --bounding-set=-all,${list} -- "$@" >/dev/null 2>&1`,
    'echo "rc=$?"',
    "cat /proc/sys/net/ipv4/ip_forward",
    "cat /proc/sys/net/ipv6/conf/all/forwarding 2>/dev/null || echo none",
  ].join("\n");
  const r = spawnSync(
    "unshare",
    ["-m", "-n", "--propagation", "private", "sh", "-c", script, "sh", ...command],
    {
      encoding: "utf8",
      timeout: 20_000,
    },
  );
  const [rc, v4, v6] = r.stdout.trim().split("\n");
  return { rc: Number(rc?.replace("rc=", "")), v4, v6, stderr: r.stderr };
}

describe.skipIf(!usable)(
  `the forwarding init container, as a runtime runs it (skipped unless root with unshare and setpriv)`,
  () => {
    it.each([
      "base/daemonset.yaml",
      "overlays/deployment/deployment.yaml",
    ])("%s: turns forwarding on with only its capabilities, under a read-only /proc/sys", (file) => {
      const init = initOf(file);
      const caps = init.securityContext.capabilities.add;
      expect(caps).toEqual(["NET_ADMIN", "SYS_ADMIN"]);
      const r = runAsContainer(init.command, caps);
      expect(r, r.stderr).toMatchObject({ rc: 0, v4: "1" });
      if (r.v6 !== "none") expect(r.v6).toBe("1");
    });

    it("fails with NET_ADMIN alone (/proc/sys is read-only and a procfs of its own is refused)", () => {
      const r = runAsContainer(initOf("base/daemonset.yaml").command, ["NET_ADMIN"]);
      expect(r.rc).not.toBe(0);
      expect(r.v4).toBe("0");
    });
  },
);

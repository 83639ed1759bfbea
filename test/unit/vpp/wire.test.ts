// Golden wire test: the field numbers of our ligato protos must match the agent's, byte for byte.
import { describe, expect, it } from "vitest";
import type { InterfaceItem, RouteItem } from "../../../src/dataplane/types.js";
import { UpdateRequest } from "../../../src/grpc/gen/ligato/configurator/configurator.js";
import { toVppInterface, toVppRoute } from "../../../src/vpp/mapping.js";

const ascii = (s: string) => Buffer.from(s, "latin1").toString("hex");

describe("vpp-agent wire format (fake vpp-agent not needed)", () => {
  it("encodes an UpdateRequest with one memif and one route exactly", () => {
    const name = "nsc-0123456789a"; // 15 characters, as src/dataplane/names.ts makes them
    const iface: InterfaceItem = {
      type: "interface",
      name,
      role: "server",
      mechanism: { cls: "LOCAL", type: "MEMIF", parameters: { socketfile: "/s/m.sock" } },
    };
    const route: RouteItem = { type: "route", dst: "172.16.0.2/32", ifName: name };
    const request: UpdateRequest = {
      update: {
        vppConfig: {
          interfaces: [toVppInterface(iface, ["172.16.0.1/32"], { memifSocketDir: "/unused" })],
          routes: [toVppRoute(route)],
        },
      },
      fullResync: false,
      waitDone: false,
    };
    const bytes = Buffer.from(UpdateRequest.encode(request).finish());

    // Hand-assembled: tag = field << 3 | wire type (2 = length-delimited, 0 = varint); defaults are omitted.
    const memif = [
      "1001", //                          master = 2: true
      "2209" + ascii("/s/m.sock"), //     socket_filename = 4
      "308004", //                        ring_size = 6: 512 (varint 80 04)
    ].join("");
    const ifaceBody = [
      "0a0f" + ascii(name), //            name = 1
      "1004", //                          type = 2: MEMIF (4)
      "1801", //                          enabled = 3: true
      "2a0d" + ascii("172.16.0.1/32"), // ip_addresses = 5
      "6204" + "1002" + "1801", //        rx_modes = 12 (tag 0x62) { mode = 2: INTERRUPT, default_mode = 3 }
      "aa06" + "10" + memif, //           memif = 101 (tag varint aa 06), 16 bytes
    ].join("");
    const routeBody = [
      "1a0d" + ascii("172.16.0.2/32"), // dst_network = 3 (vrf_id 0 and type INTRA_VRF 0 are defaults)
      "2a0f" + ascii(name), //            outgoing_interface = 5
    ].join("");
    expect(ifaceBody.length / 2).toBe(0x3d);
    expect(routeBody.length / 2).toBe(0x20);
    const configData = "523d" + ifaceBody + "c20220" + routeBody; // interfaces = 10 (0x52), routes = 40 (c2 02)
    const expected = "0a64" + "0a62" + configData; // update = 1 → Config.vpp_config = 1
    expect(bytes.toString("hex")).toBe(expected);
    expect(bytes.length).toBe(102);
    // The first bytes, as in the reference example: update → vpp_config → interfaces → name, type, enabled.
    expect(bytes.subarray(0, 6).toString("hex")).toBe("0a640a62523d");
    expect(UpdateRequest.decode(bytes)).toEqual(request);
  });

  it("encodes full_resync as field 2", () => {
    const bytes = Buffer.from(
      UpdateRequest.encode({ update: undefined, fullResync: true, waitDone: false }).finish(),
    );
    expect(bytes.toString("hex")).toBe("1001");
  });
});

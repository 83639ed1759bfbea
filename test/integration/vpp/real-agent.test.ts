// The VppAgentDataplane contract against a REAL ligato vpp-agent (v3.3+, for the datasrc metadata), opt-in:
//   VL3_VPP_AGENT_URL=host:9111 [VL3_VPP_MEMIF_DIR=/run/vpp] npx vitest run test/integration/vpp
// Use a dedicated agent: the suite resyncs data source "vl3-nse-contract" to empty before each test.
// Without the variable it skips: VPP cannot run on these machines, and the fake agent is no substitute here.
import { afterAll, beforeAll, describe } from "vitest";
import { VppAgentDataplane } from "../../../src/vpp/dataplane.js";
import { dataplaneContract } from "../../unit/vpp/contract.js";

const target = process.env.VL3_VPP_AGENT_URL;
const memifSocketDir = process.env.VL3_VPP_MEMIF_DIR ?? "/run/vpp";

describe.skipIf(!target)(
  target ? `real vpp-agent at ${target}` : "real vpp-agent (skipped: VL3_VPP_AGENT_URL is not set)",
  () => {
    let dp: VppAgentDataplane;
    beforeAll(() => {
      dp = new VppAgentDataplane({
        target,
        memifSocketDir,
        datasrc: "vl3-nse-contract",
        callTimeoutMs: 15_000,
      });
    });
    afterAll(async () => {
      await dp.resync([]);
      await dp.close();
    });
    dataplaneContract(() => dp);
  },
);

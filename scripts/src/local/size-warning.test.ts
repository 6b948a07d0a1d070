import { loadStackConfig } from "@inference-fleet/fleet-config";
import { describe, expect, it } from "vitest";
import { localSizeWarning } from "./size-warning.js";

describe("localSizeWarning", () => {
  it("warns when a stack sized for a 16-vCPU node runs on a 2-core machine, naming both", () => {
    expect(localSizeWarning(loadStackConfig("c7i", { env: {} }), 2)).toMatch(
      /^warning: stack c7i is sized for 5 servers x 3 CPU \(15 CPUs on c7i\.4xlarge\), but this machine has 2: .*not c7i\.4xlarge/,
    );
  });

  it.each(["dev", "dev-no-batching", "dev-fixed-padding"])("stays quiet for the laptop-sized stack %s on 2 cores", (stack) => {
    expect(localSizeWarning(loadStackConfig(stack, { env: {} }), 2)).toBeUndefined();
  });
});

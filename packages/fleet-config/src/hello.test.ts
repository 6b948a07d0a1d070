import { expect, test } from "vitest";
import { hello } from "@inference-fleet/fleet-config";
test("resolves source", () => { expect(hello()).toBe("fleet-config"); });

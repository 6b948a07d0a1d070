import { describe, expect, it } from "vitest";
import { ConfigError } from "./config-error.js";
import { applyEnvOverrides } from "./env-overrides.js";
import { parseFleetConfig } from "./parse.js";

describe("FLEET_* overrides", () => {
  it("names the nearest known overrides for a misspelled one, not all of them", () => {
    const error = (() => {
      try {
        applyEnvOverrides({}, { FLEET_SERVER_NUM_MODLES: "2" });
      } catch (caught) {
        return caught as Error;
      }
      throw new Error("no error");
    })();
    expect(error.message).toMatch(/^Unknown environment override FLEET_SERVER_NUM_MODLES\. Did you mean "FLEET_SERVER_NUM_MODELS"/);
    expect(error.message).not.toContain("FLEET_CLUSTER");
    expect(error.message.split("FLEET_").length).toBeLessThan(8);
  });

  it("shows the form of an override when nothing is near", () => {
    expect(() => applyEnvOverrides({}, { FLEET_WHATEVER_THIS_IS: "1" })).toThrow(/FLEET_ plus a config path in capitals, e\.g\. FLEET_SERVER_NUM_MODELS/);
  });

  it("blames a bad value on the variable that gave it, not on the stack file", () => {
    let error: unknown;
    try {
      applyEnvOverrides({}, { FLEET_SERVER_NUM_MODELS: "lots" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^Invalid fleet config \(environment variable FLEET_SERVER_NUM_MODELS\):\n/);
    expect((error as Error).message).toMatch(/ {2}- FLEET_SERVER_NUM_MODELS \(server\.numModels\): .* \(got "lots"\)/);
  });

  it.each([
    [{ FLEET_SERVER_NUM_MODELS: "1.5" }, /FLEET_SERVER_NUM_MODELS \(server\.numModels\): must be a whole number \(got "1\.5"\)/],
    [{ FLEET_INSTANCE_TYPE: "c7i.larg" }, /FLEET_INSTANCE_TYPE \(instanceType\): is not in the instance-type catalog\. Did you mean "c7i\.large"/],
  ])("says what is wrong with %o in words, not zod's", (env, message) => {
    expect(() => parseFleetConfig(applyEnvOverrides({}, env), "test")).toThrow(message);
  });

  it("takes good values as before", () => {
    expect(applyEnvOverrides({ server: { maxBatch: 2 } }, { FLEET_SERVER_NUM_MODELS: "4", FLEET_LOAD_TEST_DURATION: "10s" })).toEqual({
      server: { maxBatch: 2, numModels: 4 },
      loadTest: { duration: "10s" },
    });
  });
});

import { describe, expect, it } from "vitest";
import { hasMallocTunables, MALLOC_TUNABLES, withMallocTunables } from "./malloc-tunables.js";
import { modelServerLaunch } from "./server-process.js";

describe("malloc tunables", () => {
  it("adds the mmap threshold to an environment without one, after any tunables it already has", () => {
    expect(withMallocTunables({ PATH: "/bin" })).toEqual({ PATH: "/bin", GLIBC_TUNABLES: MALLOC_TUNABLES });
    expect(withMallocTunables({ GLIBC_TUNABLES: "glibc.malloc.arena_max=2" })["GLIBC_TUNABLES"]).toBe(`glibc.malloc.arena_max=2:${MALLOC_TUNABLES}`);
  });

  it("leaves a threshold the user chose alone", () => {
    const env = { GLIBC_TUNABLES: "glibc.malloc.mmap_threshold=4096" };
    expect(hasMallocTunables(env)).toBe(true);
    expect(withMallocTunables(env)).toBe(env);
    expect(hasMallocTunables({})).toBe(false);
  });

  it("is in the environment of every server startServerProcess starts", () => {
    expect(modelServerLaunch({ MODEL_DIR: "x" }).env["GLIBC_TUNABLES"]).toContain(MALLOC_TUNABLES);
  });
});

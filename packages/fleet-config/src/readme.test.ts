import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defaultStacksDir, fleetConfigObjectSchema } from "./index.js";

/** Dotted paths of the config's sections' fields, as the README's config table names them. */
function fieldPaths(schema: z.ZodType, prefix = ""): string[] {
  let inner: z.ZodType = schema;
  for (;;) {
    const def = (inner as unknown as { _zod: { def: { type: string; innerType?: z.ZodType } } })._zod.def;
    if (def.innerType && ["default", "prefault", "optional"].includes(def.type)) inner = def.innerType;
    else break;
  }
  if (!(inner instanceof z.ZodObject)) return [prefix];
  return Object.entries(inner.shape as Record<string, z.ZodType>).flatMap(([key, child]) => fieldPaths(child, prefix ? `${prefix}.${key}` : key));
}

describe("README config table", () => {
  const readme = readFileSync(path.join(path.dirname(defaultStacksDir(import.meta.dirname)), "README.md"), "utf8");

  it.each(fieldPaths(fleetConfigObjectSchema))("documents %s", (field) => {
    const last = field.split(".").pop()!;
    const documented =
      readme.includes(`\`${field}\``) ||
      readme.split("\n").some((line) => line.startsWith("|") && line.includes(`\`${field.split(".").slice(0, -1).join(".")}.`) && line.includes(`.${last}\``));
    expect(documented, `${field} is missing from the README's config table`).toBe(true);
  });
});

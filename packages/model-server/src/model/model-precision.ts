// Free of imports, so the light ./settings entry (the Pulumi program, fleet local) can read a model's precision too.

/** model.json's `precision` ("fp32", "int8" from `fleet model quantize`, ...); fp32 when it says none. */
export function modelPrecision(info: Readonly<Record<string, unknown>>): string {
  return typeof info["precision"] === "string" ? info["precision"] : "fp32";
}

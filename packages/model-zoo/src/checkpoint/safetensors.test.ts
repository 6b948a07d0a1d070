import { writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encodeSafetensors, floatToHalf, halfToFloat, SafetensorsFile } from "./safetensors.js";

async function fileWith(bytes: Buffer): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), "safetensors-")), "model.safetensors");
  writeFileSync(path, bytes);
  return path;
}

describe("safetensors", () => {
  const values = Float32Array.from([0, -0, 1, -2.5, 0.1, 65504, 6.1e-5, 5.96e-8, -1e-3]);
  const tensors = new Map([
    ["a.weight", { shape: [3, 3], values }],
    ["b.bias", { shape: [2], values: Float32Array.from([3.25, -7]) }],
  ]);

  it("reads back F32 exactly, with the header's names, shapes and metadata", async () => {
    const file = new SafetensorsFile(await fileWith(encodeSafetensors(tensors)));
    expect([...file.tensors.keys()]).toEqual(["a.weight", "b.bias"]);
    expect(file.tensors.get("a.weight")?.shape).toEqual([3, 3]);
    expect(file.metadata).toEqual({ format: "pt" });
    expect(file.read("a.weight")).toEqual(values);
    expect(file.read("b.bias")).toEqual(Float32Array.from([3.25, -7]));
  });

  it("widens F16 and BF16 to the float32 values they encode", async () => {
    const half = new SafetensorsFile(await fileWith(encodeSafetensors(tensors, "F16")));
    expect(Array.from(half.read("a.weight"))).toEqual(Array.from(values, (v) => halfToFloat(floatToHalf(v))));
    expect(half.read("a.weight")[5]).toBe(65504); // the largest half
    const brain = new SafetensorsFile(await fileWith(encodeSafetensors(tensors, "BF16")));
    expect(brain.read("b.bias")).toEqual(Float32Array.from([3.25, -7])); // exact in bfloat16
    expect(Math.abs(brain.read("a.weight")[4]! - 0.1)).toBeLessThan(0.001);
  });

  it("converts half precision as IEEE 754 does: subnormals, infinity, NaN, rounding to even", () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(halfToFloat(0x7e00)).toBeNaN();
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // a tie rounds to the even fraction
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });

  it("says what is wrong with a file that is not one, or a tensor it cannot read", async () => {
    const tooShort = await fileWith(Buffer.from([1, 2, 3]));
    expect(() => new SafetensorsFile(tooShort)).toThrow(/is not a safetensors file: it is shorter than its 8-byte header length/);
    const header = Buffer.from(JSON.stringify({ ids: { dtype: "I64", shape: [1], data_offsets: [0, 8] } }));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(header.length));
    const ints = new SafetensorsFile(await fileWith(Buffer.concat([length, header, Buffer.alloc(8)])));
    expect(() => ints.read("ids")).toThrow(/tensor ids is I64; only F32, F16, BF16 weights can be imported/);
    expect(() => ints.read("nope")).toThrow(/has no tensor nope/);
    const truncated = new SafetensorsFile(await fileWith(encodeSafetensors(tensors).subarray(0, -4)));
    expect(() => truncated.read("b.bias")).toThrow(/is truncated \(tensor b\.bias\)/);
  });
});

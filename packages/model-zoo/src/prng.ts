/**
 * Seeded pseudo-random numbers for model weights.
 *
 * xoshiro128** (period 2^128 - 1) seeded through splitmix32, so neighbouring seeds (seed-base + i in
 * `generateManyModels`) give unrelated streams. Only integer arithmetic is used, never Math.log/cos,
 * so the same seed gives the same bits on every platform and Node version.
 */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new Error(`The seed must be a non-negative integer, got ${String(seed)}.`);
    }
    // Fold the high bits in too, so seeds above 2^32 are not silently aliased.
    let state = (seed >>> 0) ^ Math.floor(seed / 0x1_0000_0000);
    const next = (): number => {
      state = (state + 0x9e3779b9) | 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9);
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result >>> 0;
  }

  /**
   * Fills `target` with values of mean 0 and standard deviation `std`: the sum of four 16-bit uniforms
   * (Irwin-Hall), which is close to normal and bounded at about 3.5 std, like BERT's truncated normal.
   */
  fillNormal(target: Float32Array, std: number): void {
    const scale = std / IRWIN_HALL_STD;
    for (let i = 0; i < target.length; i++) {
      const x = this.nextUint32();
      const y = this.nextUint32();
      const sum = (x & 0xffff) + (x >>> 16) + (y & 0xffff) + (y >>> 16);
      target[i] = (sum - IRWIN_HALL_MEAN) * scale;
    }
  }
}

const IRWIN_HALL_MEAN = 2 * 0xffff;
/** Standard deviation of the sum of four independent uniforms over 0..65535. */
const IRWIN_HALL_STD = Math.sqrt((4 * (65536 * 65536 - 1)) / 12);

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

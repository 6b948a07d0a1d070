// Class check: every resource this program names fits AWS's name limit for its type, for the longest stack name
// shipped in stacks/ and for a 20-character one (IAM role names over 64 characters fail only at `pulumi up`).
import { describe, expect, it } from "vitest";
import { AUTONAME_SUFFIX_LENGTH, AWS_NAME_LIMITS, namePrefixWithin, NAME_PREFIX_SUFFIX_LENGTH, physicalNameLength } from "./builders/aws-names.js";
import { runProgram, stacks } from "./testing/run-program.js";

const longest = [...stacks].sort((a, b) => b.length - a.length)[0]!;

describe.each([
  [longest, longest],
  ["dev", "a-twenty-char-stack1"],
  ["inf2", "a-twenty-char-stack1"],
])("AWS names for stack file %s run as stack %s", (stack, stackName) => {
  it("fit each resource type's limit, autoname suffix included", async () => {
    const { resources } = await runProgram(stack, {}, stackName);
    const named = resources.filter((r) => AWS_NAME_LIMITS[r.type] !== undefined);
    expect(named.length).toBeGreaterThan(10);
    const tooLong = named
      .map((r) => ({ resource: `${r.type} ${r.name}`, length: physicalNameLength(r.name, r.inputs), limit: AWS_NAME_LIMITS[r.type]! }))
      .filter(({ length, limit }) => length > limit);
    expect(tooLong).toEqual([]);
  }, 60_000);
});

describe("namePrefixWithin", () => {
  it("leaves names that fit alone, and cuts long ones to fit with a hash that keeps them apart", () => {
    expect(namePrefixWithin("inference-fleet-dev-fleet", 64)).toBeUndefined();
    const a = namePrefixWithin("inference-fleet-a-twenty-char-stack1-observability-cloudwatch-agent", 64)!;
    const b = namePrefixWithin("inference-fleet-a-twenty-char-stack1-observability-cloudwatch-agent2", 64)!;
    expect(a.length + NAME_PREFIX_SUFFIX_LENGTH).toBeLessThanOrEqual(64);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^inference-fleet-a-twenty-char-[0-9a-f]{6}-$/);
    expect(physicalNameLength("x".repeat(56), {})).toBe(56 + AUTONAME_SUFFIX_LENGTH);
    expect(physicalNameLength("x".repeat(80), { namePrefix: a })).toBe(a.length + NAME_PREFIX_SUFFIX_LENGTH);
  });
});

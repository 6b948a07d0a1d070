import { describe, expect, it } from "vitest";
import { parseAssumedRoleArn } from "./arn.js";

describe("parseAssumedRoleArn", () => {
  it.each([
    ["arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_abc/jane", { account: "123456789012", role: "AWSReservedSSO_Admin_abc" }],
    ["arn:aws-us-gov:sts::123456789012:assumed-role/deployer/ci-run-7", { account: "123456789012", role: "deployer" }],
  ])("reads the account and role of %s", (arn, expected) => {
    expect(parseAssumedRoleArn(arn)).toEqual(expected);
  });

  it.each(["arn:aws:iam::123456789012:role/deployer", "arn:aws:sts::123456789012:assumed-role/deployer", "arn:aws:sts::1234:assumed-role/deployer/s"])(
    "is undefined for %s (not an assumed-role session)",
    (arn) => {
      expect(parseAssumedRoleArn(arn)).toBeUndefined();
    },
  );
});

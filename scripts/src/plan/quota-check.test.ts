import { GetAWSDefaultServiceQuotaCommand, GetServiceQuotaCommand, ServiceQuotasClient } from "@aws-sdk/client-service-quotas";
import { loadStackConfig, quotaNeeds } from "@inference-fleet/fleet-config";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { checkQuotas, describeQuotaShortfalls } from "./quota-check.js";

const sdk = mockClient(ServiceQuotasClient);
afterEach(() => sdk.reset());

const needs = quotaNeeds(loadStackConfig("g5", { env: {} }));

describe("checkQuotas", () => {
  it("compares each need with the applied quota, and names the one too low with the command that raises it", async () => {
    sdk.on(GetServiceQuotaCommand).callsFake((input: { QuotaCode: string }) => ({ Quota: { Value: input.QuotaCode === "L-DB2E81BA" ? 0 : 100 } }));
    const checks = await checkQuotas(needs, new ServiceQuotasClient({ region: "us-east-1" }));
    expect(checks.filter((check) => !check.ok).map((check) => check.quota.quotaCode)).toEqual(["L-DB2E81BA"]);
    const [line] = describeQuotaShortfalls(checks, "us-east-1");
    expect(line).toMatch(/^Running On-Demand G and VT instances \(vCPUs\) \(ec2 L-DB2E81BA\) is 0 in us-east-1, the stack\(s\) need 4 /);
    expect(line).toContain("aws service-quotas request-service-quota-increase --service-code ec2 --quota-code L-DB2E81BA --desired-value 4 --region us-east-1");
  });

  it("falls back to AWS's default for a quota never changed in the account", async () => {
    const missing = Object.assign(new Error("no applied quota"), { name: "NoSuchResourceException" });
    sdk.on(GetServiceQuotaCommand).rejects(missing);
    sdk.on(GetAWSDefaultServiceQuotaCommand).resolves({ Quota: { Value: 5 } });
    const checks = await checkQuotas(
      needs.filter((need) => need.quotaCode === "L-0263D0A3"),
      new ServiceQuotasClient({ region: "us-east-1" }),
    );
    expect(checks).toEqual([expect.objectContaining({ value: 5, ok: true })]);
  });

  it("passes other errors through (e.g. missing permissions)", async () => {
    sdk
      .on(GetServiceQuotaCommand)
      .rejects(Object.assign(new Error("not authorized to perform servicequotas:GetServiceQuota"), { name: "AccessDeniedException" }));
    await expect(checkQuotas(needs, new ServiceQuotasClient({ region: "us-east-1" }))).rejects.toThrow(/servicequotas:GetServiceQuota/);
  });
});

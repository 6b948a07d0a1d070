// --check-quotas: the account's applied Service Quotas against what the stacks need (AWS SDK, default credential chain).
import { GetAWSDefaultServiceQuotaCommand, GetServiceQuotaCommand, ServiceQuotasClient } from "@aws-sdk/client-service-quotas";
import { raiseQuotaCommand, type QuotaNeed } from "@inference-fleet/fleet-config";

export interface QuotaCheck {
  readonly quota: QuotaNeed;
  /** The account's applied value (or AWS's default where none is applied). */
  readonly value: number;
  readonly ok: boolean;
}

/** Reads each quota's applied value; a quota never changed in this account answers NoSuchResource, so its AWS default counts. */
export async function checkQuotas(needs: readonly QuotaNeed[], client: ServiceQuotasClient): Promise<QuotaCheck[]> {
  const checks: QuotaCheck[] = [];
  for (const quota of needs) {
    const input = { ServiceCode: quota.serviceCode, QuotaCode: quota.quotaCode };
    let value: number | undefined;
    try {
      value = (await client.send(new GetServiceQuotaCommand(input))).Quota?.Value;
    } catch (error) {
      if ((error as Error).name !== "NoSuchResourceException") throw error;
    }
    value ??= (await client.send(new GetAWSDefaultServiceQuotaCommand(input))).Quota?.Value;
    if (value === undefined) throw new Error(`Service Quotas returned no value for ${quota.name} (${quota.serviceCode} ${quota.quotaCode}).`);
    checks.push({ quota, value, ok: value >= quota.need });
  }
  return checks;
}

/** One line per quota that is too low: the quota, the need, the value, and the command that asks for more. */
export function describeQuotaShortfalls(checks: readonly QuotaCheck[], region: string): string[] {
  return checks
    .filter((check) => !check.ok)
    .map(
      (check) =>
        `${check.quota.name} (${check.quota.serviceCode} ${check.quota.quotaCode}) is ${check.value} in ${region}, the stack(s) need ${check.quota.need} ` +
        `(instances already running count too). Raise it: ${raiseQuotaCommand(check.quota, region)} (or in the Service Quotas console; G and Inf requests ` +
        `can take a day).`,
    );
}

export function serviceQuotasClient(region: string): ServiceQuotasClient {
  return new ServiceQuotasClient({ region });
}

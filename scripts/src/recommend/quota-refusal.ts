// Before anything is created on AWS: each candidate's own needs (vCPUs of its family, Elastic IPs, VPCs) against the
// account's quotas, one stack up at a time as recommend runs them. Over quota: refused with the quota and the fix.
import { planStack, raiseQuotaCommand, type QuotaNeed } from "@inference-fleet/fleet-config";
import type { Candidate, RefusedCandidate } from "./candidates.js";

/** The account's applied values of these quotas (the candidates' vCPUs, ...), by quota code. */
export type QuotaValues = (needs: readonly QuotaNeed[], region: string) => Promise<ReadonlyMap<string, number>>;

/** Candidates whose own needs are over the account's quotas (one stack up at a time): refused with the quota and the fix. */
export async function refuseOverQuota(
  candidates: readonly Candidate[],
  quotaValues: QuotaValues | undefined,
): Promise<{ go: Candidate[]; refused: RefusedCandidate[] }> {
  if (!quotaValues || candidates.length === 0) return { go: [...candidates], refused: [] };
  const plans = candidates.map((c) => planStack(c.config));
  const values = await quotaValues(
    plans.flatMap((plan) => plan.quotas),
    plans[0]!.region,
  );
  const go: Candidate[] = [];
  const refused: RefusedCandidate[] = [];
  for (const [index, candidate] of candidates.entries()) {
    const plan = plans[index]!;
    const over = plan.quotas.find((need) => need.need > (values.get(need.quotaCode) ?? need.awsDefault ?? Number.POSITIVE_INFINITY));
    if (!over) {
      go.push(candidate);
      continue;
    }
    const limit = values.get(over.quotaCode) ?? over.awsDefault;
    refused.push({
      label: candidate.label,
      reason:
        `over quota: ${over.name} is ${limit} in ${plan.region} and its stack needs ${over.need}. ` +
        `Raise it (${raiseQuotaCommand(over, plan.region)}) or leave ${candidate.config.instanceType} out of --types.`,
    });
  }
  return { go, refused };
}

// Before the matrix creates anything: does every stack fit its nodes, and do the stacks that run at once fit the account's quotas?
import { raiseQuotaCommand, type QuotaNeed, type StackPlan } from "@inference-fleet/fleet-config";
import type { PreflightProblem } from "./preflight.js";

/**
 * What `parallel` stacks need at most at one time: per quota, the sum of the `parallel` largest needs
 * among the stacks (which ones overlap depends on timing, so assume the worst).
 */
export function concurrentQuotaNeeds(plans: readonly StackPlan[], parallel: number): QuotaNeed[] {
  const byCode = new Map<string, QuotaNeed[]>();
  for (const plan of plans) for (const need of plan.quotas) byCode.set(need.quotaCode, [...(byCode.get(need.quotaCode) ?? []), need]);
  return [...byCode.values()].map((needs) => {
    const largest = needs
      .map((n) => n.need)
      .sort((a, b) => b - a)
      .slice(0, parallel);
    return { ...needs[0]!, need: largest.reduce((sum, n) => sum + n, 0) };
  });
}

/**
 * Every stack's plan problems (each stack planned once, by the caller), and every quota the concurrent stacks would exceed: against the
 * account's values when they were read (`--check-quotas`), else against AWS's defaults where those are
 * the same for every account (Elastic IPs, VPCs, internet gateways).
 */
export function matrixPlanProblems(plans: readonly StackPlan[], parallel: number, quotaValues?: ReadonlyMap<string, number>): PreflightProblem[] {
  const problems: PreflightProblem[] = [];
  for (const plan of plans) {
    for (const problem of plan.problems) {
      problems.push({
        what: `Stack ${plan.stack} would not run: ${problem.path} ${problem.message}.`,
        fix: `See \`fleet plan --stack ${plan.stack}\`, fix stacks/Pulumi.${plan.stack}.yaml, and run again.`,
      });
    }
  }
  const region = plans[0]?.region ?? "us-east-1";
  for (const need of concurrentQuotaNeeds(plans, parallel)) {
    const limit = quotaValues?.get(need.quotaCode) ?? need.awsDefault;
    if (limit === undefined || need.need <= limit) continue;
    const source = quotaValues?.has(need.quotaCode) ? "the account's quota" : "AWS's default quota (run with --check-quotas to read the account's)";
    problems.push({
      what: `${need.name}: ${Math.min(parallel, plans.length)} stack(s) at once need ${need.need}, over ${source} of ${limit}.`,
      fix: `Lower --parallel, or raise the quota: ${raiseQuotaCommand(need, region)}.`,
    });
  }
  return problems;
}

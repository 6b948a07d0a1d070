import { PolicyPack } from "@pulumi/policy";
import { POLICIES } from "./policies.js";

/**
 * @public
 * Starts the policy pack (it serves the Pulumi engine); only infra/policy/index.js calls this,
 * under `pulumi preview|up --policy-pack infra/policy`.
 */
export function startPolicyPack(): PolicyPack {
  return new PolicyPack("inference-fleet", { policies: POLICIES, enforcementLevel: "mandatory" });
}

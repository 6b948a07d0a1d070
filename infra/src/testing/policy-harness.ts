/** Runs policy-pack rules on plain resources (no engine), collecting the violations they report. Test-only. */
import type {
  Policies,
  PolicyResource,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { RecordedResource } from "./pulumi-harness.js";

export interface FakeResource {
  readonly type: string;
  readonly name?: string;
  readonly props: Record<string, any>;
  /** Resource options as the policy engine passes them (customTimeouts in seconds). */
  readonly opts?: Partial<ResourceValidationArgs["opts"]>;
}

const notApplicable = (reason?: string): never => {
  throw new Error(`not applicable: ${reason ?? ""}`);
};

function resourceArgs(resource: FakeResource): ResourceValidationArgs {
  const name = resource.name ?? "test";
  return {
    type: resource.type,
    props: resource.props,
    urn: `urn:pulumi:test::inference-fleet::${resource.type}::${name}`,
    name,
    opts: (resource.opts ?? {}) as ResourceValidationArgs["opts"],
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => ({}) as T,
    notApplicable,
  };
}

/** The violations one resource policy reports for one resource. */
export async function resourceViolations(policy: ResourceValidationPolicy, resource: FakeResource): Promise<string[]> {
  const violations: string[] = [];
  const validations: ResourceValidation[] = [policy.validateResource ?? []].flat();
  for (const validate of validations) await validate(resourceArgs(resource), (message) => violations.push(message));
  return violations;
}

/** The violations one stack policy reports for a set of resources (props are their outputs). */
export async function stackViolations(policy: StackValidationPolicy, resources: readonly FakeResource[]): Promise<string[]> {
  const violations: string[] = [];
  const policyResources: PolicyResource[] = resources.map((resource) => {
    const args = resourceArgs(resource);
    return { ...args, dependencies: [], propertyDependencies: {} };
  });
  const args: StackValidationArgs = { resources: policyResources, stackTags: new Map(), getConfig: <T extends object>() => ({}) as T, notApplicable };
  await policy.validateStack(args, (message) => violations.push(message));
  return violations;
}

/**
 * Every violation of every policy for a mocked program run: resource policies see the inputs,
 * stack policies see the outputs (the mocks' state plus the resource's id).
 */
export async function programViolations(
  policies: Policies,
  resources: readonly RecordedResource[],
  customTimeouts: ReadonlyMap<string, ResourceValidationArgs["opts"]["customTimeouts"]> = new Map(),
): Promise<string[]> {
  const violations: string[] = [];
  for (const policy of policies) {
    if ("validateResource" in policy) {
      for (const resource of resources) {
        const timeouts = customTimeouts.get(`${resource.type}::${resource.name}`);
        const opts = timeouts ? { customTimeouts: timeouts } : {};
        const found = await resourceViolations(policy, { type: resource.type, name: resource.name, props: resource.inputs, opts });
        violations.push(...found.map((message) => `${policy.name} on ${resource.type} ${resource.name}: ${message}`));
      }
    } else if ("validateStack" in policy) {
      const found = await stackViolations(
        policy,
        resources.map((resource) => ({ type: resource.type, name: resource.name, props: { id: `${resource.name}-id`, ...resource.state } })),
      );
      violations.push(...found.map((message) => `${policy.name}: ${message}`));
    }
  }
  return violations;
}

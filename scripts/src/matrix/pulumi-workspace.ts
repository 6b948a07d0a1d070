// Deep path: @pulumi/pulumi has no exports map, and its root module loads the whole SDK.
import path from "node:path";
import { LocalWorkspace, type OutputMap, type Stack } from "@pulumi/pulumi/automation/index.js";
import type { MatrixStack, MatrixWorkspace, StackOutputs } from "./workspace.js";

function plainOutputs(outputs: OutputMap): StackOutputs {
  return Object.fromEntries(Object.entries(outputs).map(([key, output]) => [key, output.value]));
}

/** The policy pack every preview and up runs with, as `npm run up` in infra does: a violation stops the deployment. */
export function policyPackPath(repoRoot: string): string {
  return path.join(repoRoot, "infra", "policy");
}

function adapt(stack: Stack, policyPacks: string[]): MatrixStack {
  return {
    name: stack.name,
    async preview(onOutput, signal) {
      const result = await stack.preview({ onOutput, signal, color: "never", policyPacks });
      return result.changeSummary;
    },
    async up(onOutput, signal) {
      const result = await stack.up({ onOutput, signal, color: "never", policyPacks });
      return plainOutputs(result.outputs);
    },
    async destroy(onOutput) {
      // No abort signal here on purpose: a destroy cut short leaves paid resources behind.
      await stack.destroy({ onOutput, color: "never" });
    },
    async outputs() {
      return plainOutputs(await stack.outputs());
    },
  };
}

/**
 * The production workspace: the Pulumi project at the repo root (Pulumi.yaml, stack configs in stacks/),
 * run through the Pulumi CLI by the Automation API. `envFor` gives a stack's program extra FLEET_*
 * overrides (e.g. the runner's address for the API endpoint).
 */
export function pulumiWorkspace(repoRoot: string, envFor: (stack: string) => Record<string, string> = () => ({})): MatrixWorkspace {
  return {
    async selectStack(stackName, env = {}) {
      const stack = await LocalWorkspace.createOrSelectStack({ stackName, workDir: repoRoot }, { envVars: { ...envFor(stackName), ...env } });
      return adapt(stack, [policyPackPath(repoRoot)]);
    },
  };
}

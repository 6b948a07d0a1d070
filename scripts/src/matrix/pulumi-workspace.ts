// Deep path: @pulumi/pulumi has no exports map, and its root module loads the whole SDK.
import { LocalWorkspace, type OutputMap, type Stack } from "@pulumi/pulumi/automation/index.js";
import type { MatrixStack, MatrixWorkspace, StackOutputs } from "./workspace.js";

function plainOutputs(outputs: OutputMap): StackOutputs {
  return Object.fromEntries(Object.entries(outputs).map(([key, output]) => [key, output.value]));
}

function adapt(stack: Stack): MatrixStack {
  return {
    name: stack.name,
    async preview(onOutput, signal) {
      const result = await stack.preview({ onOutput, signal, color: "never" });
      return result.changeSummary;
    },
    async up(onOutput, signal) {
      const result = await stack.up({ onOutput, signal, color: "never" });
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
 * run through the Pulumi CLI by the Automation API.
 */
export function pulumiWorkspace(repoRoot: string): MatrixWorkspace {
  return {
    async selectStack(stackName) {
      return adapt(await LocalWorkspace.createOrSelectStack({ stackName, workDir: repoRoot }));
    },
  };
}

import { ConfigError, envNameFor, getInstanceType, loadStackConfig, planStack, PRICE_SOURCE } from "@inference-fleet/fleet-config";
import { defineCommand, UsageError } from "../command.js";

export const configCheck = defineCommand({
  path: ["config", "check"],
  summary: "Validate a stack file (stacks/Pulumi.<stack>.yaml) with FLEET_* overrides and print the resolved config.",
  details: `Environment variables override fields, e.g. ${envNameFor("server.numModels")}=4 or ${envNameFor("loadTest.duration")}=30s.
Also runs \`fleet plan\`'s fit check (servers and load pods on their nodes, no placeholder image).
Exit code 0 when valid and it fits, 1 with every bad field named when not.`,
  options: {
    stack: { type: "string", valueName: "NAME", description: "Stack to check (dev, c7i, c7g, g5, inf2, ...)." },
    json: { type: "boolean", description: "Print only the resolved config as JSON." },
  },
  async run({ values }) {
    if (!values.stack) throw new UsageError("--stack is required.");
    try {
      const config = loadStackConfig(values.stack);
      const { problems } = planStack(config);
      if (problems.length > 0) {
        console.error(
          `Stack ${config.stack} is valid but would not run (see \`fleet plan --stack ` +
            `${config.stack}\`):\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join("\n")}`,
        );
        return 1;
      }
      if (values.json) {
        console.log(JSON.stringify(config, null, 2));
        return 0;
      }
      const facts = getInstanceType(config.instanceType);
      console.log(`Stack ${config.stack}: valid, and it fits its nodes.`);
      console.log(
        `  ${config.server.numServers} x ${config.instanceType} (${facts.vcpu} vCPU, ${facts.memoryGiB} GiB, ` +
          `${facts.arch}${facts.accelerator ? `, ${facts.accelerator.count} x ${facts.accelerator.model}` : ""}) at $${facts.onDemandUsdPerHour}/h on demand ` +
          `in ${PRICE_SOURCE.region} (prices of ${PRICE_SOURCE.date})`,
      );
      console.log(JSON.stringify(config, null, 2));
      return 0;
    } catch (error) {
      if (error instanceof ConfigError) {
        console.error(error.message);
        return 1;
      }
      throw error;
    }
  },
});

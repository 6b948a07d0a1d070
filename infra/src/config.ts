import * as pulumi from "@pulumi/pulumi";
import {
  applyEnvOverrides,
  ConfigError,
  planStack,
  fromNamespacedConfig,
  parseFleetConfig,
  PROJECT,
  type ConfigProblem,
  type FleetConfig,
} from "@inference-fleet/fleet-config";

/**
 * Reads the stack's config once, as one object, through the shared schema, and runs `fleet plan`'s
 * checks (every pod fits its nodes, no placeholder image). Throws ConfigError naming each bad field,
 * with the numbers, before the program registers any resource.
 */
export function readFleetConfig(): FleetConfig {
  const stack = pulumi.getStack();
  const origin = `stacks/Pulumi.${stack}.yaml`;
  // FLEET_* variables override fields here as in every fleet command (`fleet matrix` passes the runner's CIDR this way).
  const config = parseFleetConfig(applyEnvOverrides(fromNamespacedConfig(pulumi.runtime.allConfig(), stack), process.env), origin);
  const problems = [...deployableProblems(config), ...planStack(config).problems];
  if (problems.length > 0) throw new ConfigError(origin, problems);
  return config;
}

/**
 * Checks the schema leaves to the deployment: the schema accepts a public endpoint with no CIDRs
 * (fine for `npm start`), but on AWS that means an API server open to the whole internet.
 */
export function assertDeployable(config: FleetConfig, origin: string): void {
  const problems = deployableProblems(config);
  if (problems.length > 0) throw new ConfigError(origin, problems);
}

function deployableProblems(config: FleetConfig): ConfigProblem[] {
  const { cluster } = config;
  if (!cluster.existing && cluster.endpointPublicAccess && cluster.publicAccessCidrs.length === 0) {
    return [
      {
        path: "cluster.publicAccessCidrs",
        value: [],
        message:
          `must list the CIDRs that may reach the cluster's public API endpoint (an empty list opens it to 0.0.0.0/0): run \`pulumi config set --path ` +
          `'${PROJECT}:cluster.publicAccessCidrs[0]' <your-ip>/32\`, or set cluster.endpointPublicAccess: false and deploy from inside the VPC (\`fleet ` +
          `matrix\` sets the runner's own address for you)`,
      },
    ];
  }
  return [];
}

import * as pulumi from "@pulumi/pulumi";
import { serverImagePlan, type FleetConfig } from "@inference-fleet/fleet-config";
import { planModelSource } from "./builders/model-source.js";
import { Cluster } from "./components/cluster.js";
import { existingClusterTarget } from "./components/existing-cluster.js";
import { Fleet } from "./components/fleet.js";
import type { KubernetesTarget } from "./components/kubernetes-target.js";
import { LoadTestJob } from "./components/load-test-job.js";
import { ModelStore } from "./components/model-store.js";
import { Network } from "./components/network.js";
import { Observability } from "./components/observability.js";
import { Registry } from "./components/registry.js";

export interface InfraOptions {
  /** The repo root: Docker build context, base of relative model dirs and kubeconfig paths. */
  readonly repoRoot: string;
  /** The bundled k6 script. */
  readonly k6Script: pulumi.Input<string>;
  /** The server image's content tag; computed from the files its Dockerfile copies when absent. */
  readonly imageTag?: string;
  /** Who runs `pulumi up` (aws.getCallerIdentity's ARN): EKS makes it cluster admin itself. */
  readonly deployerArn?: string;
}

/** The stack outputs; scripts/ reads kubeconfig, loadTestNamespace, loadTestJobName and resultsUri. */
export interface InfraOutputs {
  kubeconfig: pulumi.Output<string>;
  clusterName: pulumi.Output<string> | undefined;
  namespace: string;
  loadTestNamespace: string;
  loadTestJobName: pulumi.Output<string>;
  resultsUri: pulumi.Output<string>;
  serverImage: pulumi.Output<string>;
  modelSource: pulumi.Output<string>;
  targets: string[];
}

const FLEET_SERVICE_ACCOUNT = "model-server";
const LOAD_TEST_SERVICE_ACCOUNT = "k6";

/** The cluster the fleet runs on: an existing one from its kubeconfig, or a new VPC and EKS cluster. */
function kubernetesTarget(name: string, config: FleetConfig, options: InfraOptions): KubernetesTarget {
  if (config.cluster.existing) return existingClusterTarget(config, options.repoRoot);
  const network = new Network(name, { cluster: config.cluster, region: config.region });
  return new Cluster(name, {
    config,
    vpcId: network.vpcId,
    privateSubnetIds: network.privateSubnetIds,
    publicSubnetIds: network.publicSubnetIds,
    deployerArn: options.deployerArn,
  });
}

interface Deployed {
  readonly target: KubernetesTarget;
  readonly store: ModelStore;
  readonly fleet: Fleet;
  readonly loadTestNamespace: string;
}

/** The k6 Job, started once the fleet is up. */
function defineLoadTest(name: string, config: FleetConfig, options: InfraOptions, { target, store, fleet, loadTestNamespace }: Deployed): LoadTestJob {
  // loadTest.target: loadBalancer measures the path users take: k6 gets the load balancer's URL as its one target.
  const k6Targets = config.loadTest.target === "loadBalancer" && fleet.loadBalancerUrl ? fleet.loadBalancerUrl.apply((url) => [url]) : fleet.targets;
  return new LoadTestJob(
    `${name}-load-test`,
    {
      config,
      namespace: loadTestNamespace,
      script: options.k6Script,
      targets: k6Targets,
      models: fleet.models,
      resultsRootUri: store.resultsRootUri,
      serviceAccountName: LOAD_TEST_SERVICE_ACCOUNT,
      provider: target.provider,
      prerequisites: store.loadTestPrerequisites,
    },
    { dependsOn: [fleet] },
  );
}

/** The whole deployment for one validated fleet config. */
export function defineInfra(config: FleetConfig, options: InfraOptions): InfraOutputs {
  const name = `inference-fleet-${config.stack}`;
  const target = kubernetesTarget(name, config, options);
  const loadTestNamespace = `${config.namespace}-load-test`;
  const serverImage = serverImagePlan(config);
  const registry = new Registry(name, { config, repoRoot: options.repoRoot, imageTag: options.imageTag });
  const store = new ModelStore(name, {
    modelSource: planModelSource(config, options.repoRoot),
    target,
    fleet: { namespace: config.namespace, serviceAccount: FLEET_SERVICE_ACCOUNT },
    loadTest: { namespace: loadTestNamespace, serviceAccount: LOAD_TEST_SERVICE_ACCOUNT },
    // The Neuron server caches compiled models next to the model (packages/neuron-server README).
    serverWritableSubfolder: serverImage.kind === "build" && serverImage.variant === "neuron" ? "neuron/" : undefined,
  });
  const fleet = new Fleet(name, {
    config,
    image: registry.serverImage,
    modelSource: store.modelSourceUri,
    loadTestNamespace,
    serviceAccountName: FLEET_SERVICE_ACCOUNT,
    provider: target.provider,
    prerequisites: store.fleetPrerequisites,
    loadBalancerController: target.loadBalancerController,
    clusterName: target.clusterName,
    keda: target.keda,
  });
  if (config.observability.enabled && target.clusterName) {
    new Observability(`${name}-observability`, {
      config,
      clusterName: target.clusterName,
      clusterArn: config.cluster.existing ? undefined : target.clusterArn,
    });
  }
  const loadTest = defineLoadTest(name, config, options, { target, store, fleet, loadTestNamespace });
  return {
    kubeconfig: target.kubeconfig,
    clusterName: target.clusterName,
    namespace: fleet.namespace,
    loadTestNamespace,
    loadTestJobName: loadTest.jobName,
    resultsUri: loadTest.resultsUri,
    serverImage: registry.serverImage,
    modelSource: store.modelSourceUri,
    targets: fleet.targets,
  };
}

import type * as k8s from "@pulumi/kubernetes";
import { K6_RESOURCES, RESULTS_UPLOAD_RESOURCES, type FleetConfig } from "@inference-fleet/fleet-config";
import { k6EnvFromConfig, k6RunSeconds } from "@inference-fleet/load-test";
import { IMAGES, LABELS, LOAD_TEST_APP, NON_ROOT_UID, PART_OF } from "../constants.js";
import { containerResources } from "./container-resources.js";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "./server-pod.js";

type Metadata = k8s.types.input.meta.v1.ObjectMeta;
type EnvVar = k8s.types.input.core.v1.EnvVar;

export const K6_SCRIPT_KEY = "fleet.js";
const SCRIPT_DIR = "/scripts";
const RESULTS_DIR = "/results";
const RESULTS_FILE = `${RESULTS_DIR}/result.json`;
const EXIT_CODE_FILE = `${RESULTS_DIR}/k6-exit-code`;

export interface K6JobInputs {
  readonly jobName: string;
  readonly namespace: string;
  readonly configMapName: string;
  readonly serviceAccountName: string;
  /** Base URLs of the servers, one per server. */
  readonly targets: readonly string[];
  readonly models: readonly string[];
  /** s3://bucket/prefix/ of this run; each pod writes pod-<index>.json there. */
  readonly resultsUri: string;
}

/**
 * The k6 script's environment, from load-test's own mapping (so infra cannot drift from the script).
 * Rates in the config are totals, so each of the `pods` generators gets its share; `servers` is the
 * number of fleet nodes billed, which reports price by.
 */
export function buildK6Env(config: FleetConfig, inputs: Pick<K6JobInputs, "targets" | "models">): EnvVar[] {
  const labels = {
    stack: config.stack,
    instanceType: config.instanceType,
    servers: String(config.cluster.fleetNodes),
    numServers: String(config.server.numServers),
    numModels: String(config.server.numModels),
  };
  const values = k6EnvFromConfig(config, { ...inputs, resultsPath: RESULTS_FILE, labels, generators: config.loadTest.pods });
  return [
    ...Object.entries(values).map(([name, value]) => ({ name, value })),
    { name: "POD_INDEX", valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } },
  ];
}

const RESULTS_MOUNT = { name: "results", mountPath: RESULTS_DIR };
const TMP_MOUNT = { name: "tmp", mountPath: "/tmp" };

/** The init container: k6 runs the script and records its exit code instead of returning it. */
function k6Container(config: FleetConfig, inputs: K6JobInputs): k8s.types.input.core.v1.Container {
  return {
    name: "k6",
    image: IMAGES.k6,
    command: ["sh", "-c", `k6 run --quiet ${SCRIPT_DIR}/${K6_SCRIPT_KEY}; echo $? > ${EXIT_CODE_FILE}`],
    env: buildK6Env(config, inputs),
    resources: containerResources(K6_RESOURCES),
    securityContext: restrictedContainerSecurityContext(),
    volumeMounts: [{ name: "script", mountPath: SCRIPT_DIR, readOnly: true }, RESULTS_MOUNT, TMP_MOUNT],
  };
}

/** The main container: uploads the results and k6's exit code to S3, then exits with that code. */
function uploadContainer(inputs: K6JobInputs): k8s.types.input.core.v1.Container {
  const upload =
    `aws s3 cp ${RESULTS_FILE} "${inputs.resultsUri}pod-$POD_INDEX.json" && aws s3 cp ${EXIT_CODE_FILE} ` +
    `"${inputs.resultsUri}pod-$POD_INDEX.exit-code" && exit "$(cat ${EXIT_CODE_FILE})"`;
  return {
    name: "upload",
    image: IMAGES.awsCli,
    command: ["sh", "-c", upload],
    env: [
      { name: "HOME", value: "/tmp" },
      { name: "POD_INDEX", valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } },
    ],
    resources: containerResources(RESULTS_UPLOAD_RESOURCES),
    securityContext: { ...restrictedContainerSecurityContext(), runAsUser: NON_ROOT_UID },
    volumeMounts: [RESULTS_MOUNT, TMP_MOUNT],
  };
}

/**
 * k6 runs as the init container and always exits 0, recording its real exit code (99 when a
 * threshold failed) beside its results; the main container then uploads both to S3 and exits
 * with k6's code. A failed SLO is a result to keep, so it must not stop the upload.
 */
export function buildK6Job(config: FleetConfig, inputs: K6JobInputs): { metadata: Metadata; spec: k8s.types.input.batch.v1.JobSpec } {
  const labels = { [LABELS.app]: LOAD_TEST_APP, [LABELS.partOf]: PART_OF, [LABELS.instance]: config.stack, "inference-fleet.io/run": inputs.jobName };
  const { pods } = config.loadTest;
  // Long enough for the run (a capacity staircase's steps, or the duration), k6's graceful stop, and the upload.
  const deadlineSeconds = k6RunSeconds(config) + 600;
  return {
    metadata: {
      name: inputs.jobName,
      namespace: inputs.namespace,
      labels,
      // `pulumi up` returns once the Job exists; scripts/ waits for the results in S3.
      annotations: { "pulumi.com/skipAwait": "true" },
    },
    spec: {
      completionMode: "Indexed",
      completions: pods,
      parallelism: pods,
      backoffLimit: 0,
      activeDeadlineSeconds: deadlineSeconds,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: "Never",
          serviceAccountName: inputs.serviceAccountName,
          automountServiceAccountToken: false,
          securityContext: restrictedPodSecurityContext(),
          nodeSelector: { [LABELS.instanceType]: config.loadTest.instanceType },
          // Generators on separate nodes where there are enough, so they do not share a NIC or CPU.
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: labels } },
          ],
          initContainers: [k6Container(config, inputs)],
          containers: [uploadContainer(inputs)],
          volumes: [
            { name: "script", configMap: { name: inputs.configMapName } },
            { name: "results", emptyDir: { sizeLimit: "256Mi" } },
            { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
          ],
        },
      },
    },
  };
}

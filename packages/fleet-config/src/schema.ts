import { z } from "zod";
import { parseAssumedRoleArn } from "./arn.js";
import { getInstanceType, isKnownInstanceType, unknownInstanceTypeHint } from "./catalog.js";
import { DEFAULT_KUBERNETES_VERSION, isKnownKubernetesVersion, KUBERNETES_VERSIONS } from "./plan/kubernetes-versions.js";
import { parseDurationSeconds } from "./duration.js";
import { cpuMillis, memoryMiB } from "./plan/quantity.js";
import { stackSloSchema } from "./slo.js";

/** The Pulumi project name; stack config keys are namespaced with it ("inference-fleet:model"). */
export const PROJECT = "inference-fleet";

const durationSeconds = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const seconds = parseDurationSeconds(value);
  if (seconds === undefined) {
    ctx.addIssue({ code: "custom", message: 'must be a duration such as "30s", "2m", "1m30s" or a number of seconds' });
    return z.NEVER;
  }
  return seconds;
});

const instanceType = z.string().refine(isKnownInstanceType, {
  error: (issue) => `is not in the instance-type catalog.${unknownInstanceTypeHint(String(issue.input))}`,
});

/** A quantity the given parser (plan/quantity.ts, which `fleet plan` reads them with) accepts; one grammar for both. */
const parsesWith = (parse: (quantity: string) => number) => (quantity: string) => {
  try {
    parse(quantity);
    return true;
  } catch {
    return false;
  }
};

const kubernetesQuantity = z
  .union([z.string().regex(/^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/, 'must be a Kubernetes quantity such as "2", "500m" or "4Gi"'), z.number().positive()])
  .transform(String);

/** hf://ORG/NAME[@REVISION]: a Hugging Face hub model, imported on demand (`fleet model import`). */
const HUB_SOURCE = /^hf:\/\/[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*(@[^\s@]+)?$/;

const modelSource = z
  .string()
  .min(1)
  .refine((source) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(source) || /^(s3|https):\/\//.test(source) || HUB_SOURCE.test(source), {
    error: "must be a local directory, an s3://bucket/prefix, an https:// URL or a hub model hf://ORG/NAME[@REVISION]",
  });

export const modelSchema = z.strictObject({
  /** Name used in reports and image tags. */
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "must be lower-case letters, digits and dashes")
    .default("bert-qa"),
  /**
   * Local model dir (relative to the repo root), s3://bucket/prefix or https:// URL of a model dir, or hf://ORG/NAME[@REVISION]:
   * a BERT checkpoint on the Hugging Face hub, imported on demand into the cache ($HF_HOME/inference-fleet).
   */
  source: modelSource.default("models/bert-qa-tiny"),
  /**
   * How to build the model with model-zoo when a local source is missing (nothing is downloaded). It is only ever
   * written into a new or empty folder, or one it made before (marked), never over a user's model.
   */
  generate: z
    .strictObject({
      size: z.enum(["tiny", "mini", "base"]).default("tiny"),
      seed: z.int().min(0).default(7),
    })
    .prefault({}),
  /** What the model does; a generated model gets this head, an imported or present one must have it. */
  task: z.enum(["question-answering", "text-classification"]).default("question-answering"),
  /** Longest token sequence; longer contexts are truncated. */
  maxSeqLength: z.int().min(8).max(512).default(128),
  /**
   * fp32, or int8: weights quantized per output channel, activations at run time (`fleet model quantize`);
   * a generated model is built at this precision, and the servers report it.
   */
  precision: z.enum(["fp32", "int8"]).default("fp32"),
  /** dynamic pads a batch to its longest request; fixed pads every request to maxSeqLength (the AWS sample). */
  padding: z.enum(["dynamic", "fixed"]).default("dynamic"),
  /** Many unique models served from one repository: each server lazily loads its shard. */
  repository: z
    .strictObject({
      /** How many unique models the repository holds. */
      count: z.int().min(1).max(100_000),
      /** Memory budget for resident models per server; least recently used models are unloaded past it. */
      maxResidentMb: z.int().min(16).default(1024),
    })
    .optional(),
});

export const serverSchema = z.strictObject({
  /** cpu, gpu (NVIDIA, ONNX Runtime CUDA provider) or inf (AWS Inferentia2, the project's Neuron server: packages/neuron-server). */
  processor: z.enum(["cpu", "gpu", "inf"]).optional(),
  /** Derived from the instance type when absent. */
  cpuArch: z.enum(["x86_64", "arm64"]).optional(),
  /** Copies of the model per server, named model0..model{N-1} as in the AWS sample. */
  numModels: z.int().min(1).max(256).default(1),
  /** Model-server replicas. */
  numServers: z.int().min(1).max(1000).default(1),
  /**
   * ONNX Runtime intra-op threads per session. Absent: derived by the server from the CPUs its
   * process may use (the cgroup's cpu.max in a pod, else its CPU affinity, else the core count).
   */
  threads: z.int().min(1).max(192).optional(),
  /** Inference worker threads that hold the sessions (0: on the main thread). Absent: derived like threads. */
  inferenceWorkers: z.int().min(0).max(64).optional(),
  /**
   * Largest batch; 1 turns dynamic batching off. The default batches only what queued up while the
   * session was busy (with maxQueueDelayMs 0 no request ever waits for others): on CPU that is
   * ~12% less ONNX Runtime time per inference at batch 4 and no added latency when idle.
   */
  maxBatch: z.int().min(1).max(256).default(4),
  /** How long the first request of a batch waits for others; 0 never holds a request back. */
  maxQueueDelayMs: z.number().min(0).max(1000).default(0),
  /** Requests waiting per model before the server answers 503 with Retry-After. */
  maxQueue: z.int().min(1).max(100_000).default(256),
  /** Per-request deadline, from arrival to answer. */
  requestTimeoutMs: z.int().min(10).max(600_000).default(10_000),
  /** One ONNX Runtime session per copy instead of one shared by all copies (more memory, per-copy isolation). */
  separateSessions: z.boolean().default(false),
  /** Decode the answer span (true) or return raw logits summaries (false). */
  postprocess: z.boolean().default(true),
  port: z.int().min(1).max(65535).default(8080),
  /**
   * A gpu stack whose servers could not start CUDA and fell back to cpu fails its run unless this is
   * true (a CPU result must never be priced as a GPU result).
   */
  allowCpuFallback: z.boolean().default(false),
  /** A seed-compatible image to run instead of ours (e.g. a Neuron server on inf2). */
  image: z.string().min(1).optional(),
  /**
   * How the servers are reached besides their ClusterIP Services: none, an internal Network Load
   * Balancer (nlb) or an internal Application Load Balancer (alb), both made by the AWS Load Balancer Controller.
   */
  expose: z.enum(["none", "nlb", "alb"]).default("none"),
  /** Make the load balancer internet-facing; the policy pack refuses one unless this is true. */
  internetFacing: z.boolean().default(false),
  /**
   * Scale each server's Deployment on its request rate and queue depth (KEDA in the cluster; the HPA's algorithm, `autoscaling.ts`).
   * Replicas of server i serve server i's models (its shard in repository mode): scaling never adds shards.
   */
  autoscaling: z
    .strictObject({
      /** Off by default: a benchmark measures a fixed fleet; turn it on for the stack you deploy to serve. */
      enabled: z.boolean().default(false),
      /** Replicas of each server at least (2 or more with cluster.ha). */
      minReplicas: z.int().min(1).max(100).default(1),
      /** Replicas of each server at most; the fleet node group's maximum is sized so they fit. */
      maxReplicas: z.int().min(1).max(100).default(3),
      /** Requests waiting per pod to scale at; absent, derived from capacityPerServer and the SLO, else one batch (server.maxBatch). */
      targetQueueDepth: z.number().positive().max(100_000).optional(),
      /** The capacity per server at the SLO (req/s) that a run measured; the request-rate and queue-depth targets are derived from it. */
      capacityPerServer: z.number().positive().max(1_000_000).optional(),
      /** The share of capacityPerServer each pod is held at: the request-rate target is capacityPerServer x this. */
      targetUtilization: z.number().gt(0).max(1).default(0.7),
      /** A scale-down waits until every recommendation in this window was lower (the HPA's stabilisation window). */
      scaleDownStabilizationSeconds: durationSeconds.pipe(z.int().min(0).max(3600)).default(300),
      /** `fleet local --autoscale` only: how often the rule reads the servers' queue depth and decides (KEDA polls every 30 s). */
      interval: durationSeconds.pipe(z.number().positive().max(300)).default(1),
    })
    .refine((a) => a.maxReplicas >= a.minReplicas, { error: "maxReplicas must be at least minReplicas: raise maxReplicas or lower minReplicas." })
    .prefault({}),
  /** Kubernetes requests = limits per server pod. */
  resources: z
    .strictObject({
      cpu: kubernetesQuantity.refine(parsesWith(cpuMillis), 'must be a CPU quantity such as "2", "1.5" or "500m"').default("1"),
      memory: kubernetesQuantity.refine(parsesWith(memoryMiB), 'must be a memory quantity such as "512Mi" or "4Gi"').default("2Gi"),
      /** nvidia.com/gpu per pod; defaults to 1 on gpu. */
      gpus: z.int().min(0).max(16).optional(),
      /** aws.amazon.com/neuron devices per pod; defaults to 1 on inf. */
      neuronDevices: z.int().min(0).max(16).optional(),
    })
    .prefault({}),
});

const loadTestSchema = z.strictObject({
  /** Instance type of the system nodes that run k6 pods. */
  instanceType: instanceType.default("c7i.2xlarge"),
  /**
   * seq cycles servers and models in order; rnd picks at random; bmk holds constant concurrency; rate is open
   * loop; ramp raises the rate to find the SLO limit; capacity searches the arrival rate for the largest one at
   * which the SLO holds (open-loop steps, then bisection; see `capacity`).
   */
  mode: z.enum(["seq", "rnd", "bmk", "rate", "ramp", "capacity"]).default("bmk"),
  duration: durationSeconds.default(30),
  /**
   * The first seconds of a run (connections, caches, JIT, autotuning) are load but not figures.
   * Absent: a quarter of the duration, at most 15 s (an open loop ramps up over it).
   */
  warmup: durationSeconds.optional(),
  /** Virtual users (closed loop) per load pod. */
  concurrency: z.int().min(1).max(10_000).default(4),
  /** Requests per second in total for rate mode (split over pods). */
  rate: z.number().positive().max(1_000_000).default(100),
  /** Ramp mode: arrival rate rises from startRate to maxRate over the duration. */
  ramp: z
    .strictObject({
      startRate: z.number().positive().default(10),
      maxRate: z.number().positive().default(1000),
    })
    .prefault({}),
  /** Capacity mode: the open-loop search over arrival rate for the capacity at the SLO. */
  capacity: z
    .strictObject({
      /** The first rate offered (req/s in total); the search doubles it until the SLO breaks, then bisects. */
      startRate: z.number().positive().max(1_000_000).default(100),
      /** Stop once the rate that breaks is within this share of the rate that holds (0.05 = 5%). */
      precision: z.number().gt(0).lt(1).default(0.05),
      /** In the cluster, each k6 step's measured window (locally a step is `windows` windows of windowSeconds). */
      stepSeconds: durationSeconds.pipe(z.number().positive()).default(8),
      /** Each step's warm-up before its windows: load is sent, nothing is counted. */
      warmupSeconds: durationSeconds.default(2),
      /** One measurement window of a step (perf_analyzer's measurement interval). */
      windowSeconds: durationSeconds.pipe(z.number().positive()).default(2),
      /** Consecutive windows that must agree before a step counts (perf_analyzer: 3). */
      windows: z.int().min(1).max(20).default(3),
      /** Windows a step measures at most; past it the majority decides and the step is marked unstable. */
      maxWindows: z.int().min(1).max(50).default(6),
      /** Windows agree when their achieved rates are within this share of their mean and they give the same SLO verdict (0.1 = 10%). */
      stability: z.number().gt(0).lt(1).default(0.1),
      /**
       * The confirmation: the rate found is held this long; it must hold the SLO throughout (over the whole hold and in
       * all but 10% of its windows), else the rate steps down and is held again.
       */
      confirmSeconds: durationSeconds.pipe(z.number().positive()).default(60),
      /** A confirmation that breaks steps down to the next rate of a grid of this share's steps (0.07 = 7%: ..., 853, 917, 987, ... req/s). */
      stepDown: z.number().gt(0).lt(1).default(0.07),
      /** Sustained holds tried at most; when none holds the SLO, the run reports no confirmed capacity rather than an unconfirmed one. */
      confirmAttempts: z.int().min(1).max(10).default(5),
      /** Locally: the confirmation starts no hold that would end more than this long after its first hold began. */
      confirmBudget: durationSeconds.pipe(z.number().positive()).default(150),
      /** The whole search (servers' start included locally; in the cluster, the k6 passes' load) never runs past this. */
      budget: durationSeconds.pipe(z.number().positive()).default(80),
      /**
       * In the cluster only: the k6 staircase offers exactly these rates (req/s in total, run in this order) instead of
       * doubling from startRate. `fleet matrix` sets it for each refine pass; a list of your own runs a fixed sweep.
       */
      rates: z.array(z.number().positive().max(1_000_000)).min(1).max(100).optional(),
    })
    .refine((c) => c.maxWindows >= c.windows, { message: "maxWindows must be at least windows: a step cannot agree over more windows than it measures." })
    .prefault({}),
  /** `fleet plan --for-rate`: the load to size the fleet for, from the measured capacity per node. */
  sizing: z
    .strictObject({
      /** Requests per second the fleet must serve at the SLO (the command line's --for-rate wins). */
      forRate: z.number().positive().max(100_000_000).optional(),
      /** Capacity kept spare on every node: nodes = ceil(rate / (capacity per node x (1 - headroom))). */
      headroom: z.number().min(0).lt(1).default(0.2),
    })
    .prefault({}),
  /** Load generator pods (k6 Indexed Job completions). */
  pods: z.int().min(1).max(100).default(1),
  /** Stop after this many requests per generator. */
  maxRequests: z.int().min(1).optional(),
  /** Per-request timeout. */
  requestTimeout: durationSeconds.default(10),
  /**
   * What each request sends: absent, a GET (the server's default texts, as the AWS sample); pair, a POST
   * with seq_0 + seq_1 (question and context, or a sentence pair to classify); single, a POST with seq_0
   * alone (one sentence for a text-classification model).
   */
  texts: z.enum(["pair", "single"]).optional(),
  /** How requests pick a model: uniform, or Zipf(s) for many-model fleets. */
  modelChoice: z
    .strictObject({
      distribution: z.enum(["uniform", "zipf"]).default("uniform"),
      s: z.number().positive().default(1.1),
    })
    .prefault({}),
  slo: stackSloSchema.prefault({}),
  /** What k6 targets: each server's Service, or the load balancer in front of them all (needs server.expose). */
  target: z.enum(["service", "loadBalancer"]).default("service"),
});

/** CloudWatch Logs accepts only these retention periods. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;
/** CloudWatch Logs refuses any other retention (PutRetentionPolicy): both log-retention fields take only these. */
const logRetentionDays = z.union(LOG_RETENTION_DAYS.map((days) => z.literal(days)) as [z.ZodLiteral<number>, ...z.ZodLiteral<number>[]], {
  error: `must be one of CloudWatch's retention periods: ${LOG_RETENTION_DAYS.join(", ")}`,
});

/** An access-entry principal: an IAM role or user ARN, never an STS session. */
const adminPrincipal = z.string().superRefine((arn, ctx) => {
  const assumed = parseAssumedRoleArn(arn);
  if (assumed) {
    ctx.addIssue({
      code: "custom",
      message:
        `is an assumed-role session (what \`aws sts get-caller-identity\` prints for SSO and assumed roles), which EKS access entries refuse: give ` +
        `the role's ARN, \`aws iam get-role --role-name ${assumed.role} --query Role.Arn --output text\` (the identity running \`pulumi up\` needs no entry: ` +
        `it is admin already)`,
    });
  } else if (!/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/.+$/.test(arn)) {
    ctx.addIssue({ code: "custom", message: "must be an IAM role or user ARN such as arn:aws:iam::123456789012:role/platform-admins" });
  }
});

const clusterSchema = z.strictObject({
  /** Use an existing cluster instead of creating network and cluster: a kubeconfig (path or contents) or an EKS cluster name. */
  existing: z
    .strictObject({
      kubeconfig: z.string().min(1).optional(),
      clusterName: z.string().min(1).optional(),
    })
    .refine((e) => Boolean(e.kubeconfig) !== Boolean(e.clusterName), { error: "give exactly one of kubeconfig or clusterName" })
    .optional(),
  /** An EKS minor in plan/kubernetes-versions.ts; the default is in standard support (an older one costs 6x per control-plane hour). */
  kubernetesVersion: z
    .string()
    .refine(isKnownKubernetesVersion, {
      error: () => `must be one of the EKS versions this program knows: ${KUBERNETES_VERSIONS.map((v) => v.minor).join(", ")} (plan/kubernetes-versions.ts)`,
    })
    .default(DEFAULT_KUBERNETES_VERSION),
  /** Reach the API endpoint from the internet (restricted to publicAccessCidrs); private access is always on. */
  endpointPublicAccess: z.boolean().default(true),
  publicAccessCidrs: z.array(z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "must be an IPv4 CIDR such as 203.0.113.0/24")).default([]),
  /** single NAT gateway (dev) or one per availability zone (prod). */
  natGateways: z.enum(["single", "onePerAz"]).default("single"),
  availabilityZones: z.int().min(2).max(3).default(3),
  /** Fleet nodes per managed node group. */
  fleetNodes: z.int().min(1).max(100).default(1),
  systemNodes: z.int().min(1).max(20).default(1),
  /** A DaemonSet pulls the server image on every fleet node before the fleet starts. */
  prePullImages: z.boolean().default(false),
  /**
   * More IAM roles or users given cluster-admin through EKS access entries. The identity that runs
   * `pulumi up` is cluster admin already (EKS bootstraps the creator); it is skipped here if listed.
   */
  adminPrincipals: z.array(adminPrincipal).default([]),
  /** Days CloudWatch keeps the control-plane logs (the program owns the log group, so destroy removes it). */
  logRetentionDays: logRetentionDays.default(7),
  /**
   * Cluster Autoscaler on the fleet node group (min 0, max fleetNodes): fleet nodes go away when no
   * server needs them. The system node group stays fixed.
   */
  autoscaler: z.boolean().default(true),
  /** Scale the servers to zero (the cluster, system nodes and add-ons stay); the autoscaler then removes the fleet nodes. */
  idle: z.boolean().default(false),
  /**
   * Survive the loss of a zone or a node: one NAT gateway per zone, at least two fleet nodes kept in two zones, each
   * server (each repository shard) on two pods spread over zones (DoNotSchedule), and PodDisruptionBudgets that keep
   * one pod of every server through a node drain. `fleet plan` prices the difference.
   */
  ha: z.boolean().default(false),
});

const observabilitySchema = z.strictObject({
  /** Container Insights (the amazon-cloudwatch-observability add-on), server metrics in CloudWatch, SLO alarms and a dashboard. */
  enabled: z.boolean().default(true),
  /**
   * The amazon-cloudwatch-observability add-on version, pinned so a new release cannot change the agents under a
   * running benchmark (`aws eks describe-addon-versions --addon-name amazon-cloudwatch-observability
   * --kubernetes-version 1.35` lists those for a cluster version).
   */
  addonVersion: z
    .string()
    .regex(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/, 'must look like "v6.4.0-eksbuild.1"')
    .default("v6.4.0-eksbuild.1"),
  /** Ship container logs with Fluent Bit (billed per GB ingested); metrics work without it. */
  containerLogs: z.boolean().default(false),
  /** How often the agent scrapes the servers' /metrics. */
  scrapeIntervalSeconds: z.int().min(10).max(300).default(30),
  /** Days CloudWatch keeps the Prometheus EMF log group and the Container Insights performance logs. */
  logRetentionDays: logRetentionDays.default(7),
  alarms: z
    .strictObject({
      /** Consecutive one-minute periods over the threshold before an alarm fires. */
      evaluationMinutes: z.int().min(1).max(60).default(3),
      /** Queue-full rejections (HTTP 503) per minute, summed over servers, that count as sustained. */
      rejectionsPerMinute: z.number().min(0).default(10),
      /** An email address subscribed to a new SNS topic that the alarms notify. */
      email: z.email().optional(),
      /** An existing SNS topic the alarms notify (instead of, or as well as, the email topic). */
      snsTopicArn: z
        .string()
        .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/, "must be an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:alerts")
        .optional(),
    })
    .prefault({}),
});

const fleetObjectSchema = z.strictObject({
  /** Pulumi stack name this config came from. */
  stack: z.string().default("dev"),
  /** AWS region (the stack's aws:region). */
  region: z
    .string()
    .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region such as "us-east-1"')
    .default("us-east-1"),
  namespace: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a Kubernetes namespace name (lower-case, digits, dashes)")
    .default("inference-fleet"),
  /** Instance type of the fleet's nodes. */
  instanceType: instanceType.default("c7i.xlarge"),
  model: modelSchema.prefault({}),
  server: serverSchema.prefault({}),
  loadTest: loadTestSchema.prefault({}),
  cluster: clusterSchema.prefault({}),
  observability: observabilitySchema.prefault({}),
});

/** The shape before derived fields are filled in; its keys are the config's keys. */
export const fleetConfigObjectSchema = fleetObjectSchema;

type FleetObject = z.output<typeof fleetObjectSchema>;
type InstanceFacts = ReturnType<typeof getInstanceType>;

function addIssue(ctx: z.RefinementCtx, path: (string | number)[], input: unknown, message: string): void {
  ctx.addIssue({ code: "custom", path, input, message });
}

/** The server's processor and arch against the instance type's facts; the load test's nodes need no accelerator. */
function checkHardware(config: FleetObject, facts: InstanceFacts, ctx: z.RefinementCtx): void {
  const acceleratorKind = facts.accelerator?.kind;
  if (config.server.cpuArch && config.server.cpuArch !== facts.arch) {
    addIssue(ctx, ["server", "cpuArch"], config.server.cpuArch, `must match the instance type ${facts.name}, which is ${facts.arch}; remove it to derive it`);
  }
  if (isKnownInstanceType(config.loadTest.instanceType) && getInstanceType(config.loadTest.instanceType).accelerator) {
    addIssue(
      ctx,
      ["loadTest", "instanceType"],
      config.loadTest.instanceType,
      "has accelerators; the system node group runs add-ons and k6, so pick a CPU type such as c7i.2xlarge",
    );
  }
  const processor = config.server.processor ?? defaultProcessor(acceleratorKind);
  if (processor === "gpu" && acceleratorKind !== "nvidia") {
    addIssue(ctx, ["server", "processor"], processor, `gpu needs an NVIDIA instance type (g4dn, g5, g6), not ${facts.name}`);
  }
  if (processor === "inf" && acceleratorKind !== "neuron") {
    addIssue(ctx, ["server", "processor"], processor, `inf needs an Inferentia instance type (inf1, inf2), not ${facts.name}`);
  }
}

/** The load test's fields that depend on each other. */
function checkLoadTest(config: FleetObject, ctx: z.RefinementCtx): void {
  const { loadTest } = config;
  if (loadTest.ramp.maxRate <= loadTest.ramp.startRate) {
    addIssue(ctx, ["loadTest", "ramp", "maxRate"], loadTest.ramp.maxRate, `must be greater than startRate (${loadTest.ramp.startRate})`);
  }
  if (loadTest.warmup !== undefined && loadTest.warmup >= loadTest.duration) {
    addIssue(ctx, ["loadTest", "warmup"], loadTest.warmup, `must be shorter than loadTest.duration (${loadTest.duration} s), which includes it`);
  }
  if (loadTest.target === "loadBalancer" && config.server.expose === "none") {
    addIssue(ctx, ["loadTest", "target"], "loadBalancer", "needs a load balancer: set server.expose to nlb or alb, or set loadTest.target: service");
  }
}

/** Exposure and the cluster's settings that only make sense together. */
function checkExposure(config: FleetObject, ctx: z.RefinementCtx): void {
  if (config.server.internetFacing && config.server.expose === "none") {
    addIssue(ctx, ["server", "internetFacing"], true, "has no load balancer to apply to: set server.expose to nlb or alb, or remove it");
  }
  if (config.cluster.idle && !config.cluster.autoscaler) {
    addIssue(
      ctx,
      ["cluster", "idle"],
      true,
      "leaves the fleet nodes running (and billed) without the autoscaler: set cluster.autoscaler: true, or destroy the stack",
    );
  }
  if (config.cluster.endpointPublicAccess && config.cluster.publicAccessCidrs.includes("0.0.0.0/0")) {
    addIssue(
      ctx,
      ["cluster", "publicAccessCidrs"],
      config.cluster.publicAccessCidrs,
      "must not contain 0.0.0.0/0: list your office or CI CIDRs, or set endpointPublicAccess: false",
    );
  }
}

/** A fleet and its load test: validated, defaults applied, processor/arch/resources derived from the instance type. */
export const fleetConfigSchema = fleetObjectSchema
  .superRefine((config, ctx) => {
    // A field's own refinement does not stop the object's checks: skip derived checks until the type is known.
    if (!isKnownInstanceType(config.instanceType)) return;
    const facts = getInstanceType(config.instanceType);
    if (facts.accelerator?.model === "Inferentia") {
      // fleet plan would pass it, and the pod would then crash: the Neuron image is built for inf2/trn1 only.
      const message =
        "is Inferentia 1, which needs torch-neuron (NeuronCore-v1); the Neuron server is built on torch-neuronx, which runs on " +
        "Inferentia2 and Trainium only: use inf2.xlarge";
      addIssue(ctx, ["instanceType"], config.instanceType, message);
      return;
    }
    checkHardware(config, facts, ctx);
    checkLoadTest(config, ctx);
    checkExposure(config, ctx);
    checkAutoscalingAndHa(config, ctx);
  })
  .transform((config) => {
    const facts = getInstanceType(config.instanceType);
    const processor = config.server.processor ?? defaultProcessor(facts.accelerator?.kind);
    return {
      ...config,
      loadTest: { ...config.loadTest, warmup: config.loadTest.warmup ?? defaultWarmupSeconds(config.loadTest.duration) },
      server: {
        ...config.server,
        processor,
        cpuArch: facts.arch,
        resources: {
          ...config.server.resources,
          gpus: config.server.resources.gpus ?? (processor === "gpu" ? 1 : 0),
          neuronDevices: config.server.resources.neuronDevices ?? (processor === "inf" ? 1 : 0),
        },
      },
    };
  });

/** What autoscaling (KEDA on CloudWatch, nodes by the Cluster Autoscaler) and cluster.ha need from the rest of the stack. */
function checkAutoscalingAndHa(config: FleetObject, ctx: z.RefinementCtx): void {
  const scaling = config.server.autoscaling;
  const issue = (path: (string | number)[], input: unknown, message: string) => ctx.addIssue({ code: "custom", path, input, message });
  if (scaling.enabled) {
    const at = ["server", "autoscaling", "enabled"];
    if (config.cluster.existing) {
      issue(
        at,
        true,
        "needs KEDA and the Cluster Autoscaler, which this program installs only in a cluster it creates: remove cluster.existing or turn autoscaling off",
      );
    } else if (!config.cluster.autoscaler) {
      issue(at, true, "adds pods that need fleet nodes the Cluster Autoscaler adds: set cluster.autoscaler: true, or turn autoscaling off");
    }
    if (!config.observability.enabled) {
      issue(at, true, "scales on the servers' model_server_queue_depth in CloudWatch, which observability publishes: set observability.enabled: true");
    } else if (60 % config.observability.scrapeIntervalSeconds !== 0) {
      issue(
        ["observability", "scrapeIntervalSeconds"],
        config.observability.scrapeIntervalSeconds,
        "must divide 60 (10, 12, 15, 20, 30 or 60) with server.autoscaling on: the scaler reads a minute's sum of scrapes " +
          "and divides it by the scrapes per minute",
      );
    }
    if (config.server.image !== undefined) {
      issue(
        at,
        true,
        "reads model_server_queue_depth, which an external server.image need not export: remove server.image to run our server, or turn autoscaling off",
      );
    }
    if (config.cluster.ha && scaling.minReplicas < 2) {
      issue(
        ["server", "autoscaling", "minReplicas"],
        scaling.minReplicas,
        "must be at least 2 with cluster.ha, so every server (every shard) keeps a pod in a second zone",
      );
    }
  }
  if (config.cluster.ha) {
    if (config.cluster.existing) {
      issue(["cluster", "ha"], true, "shapes the VPC and node groups this program creates: remove cluster.existing, or cluster.ha");
      return;
    }
    if (config.cluster.natGateways !== "onePerAz") {
      issue(
        ["cluster", "natGateways"],
        config.cluster.natGateways,
        "must be onePerAz with cluster.ha: a single NAT gateway takes every zone's egress down with its own zone",
      );
    }
    if (config.cluster.fleetNodes < 2) {
      issue(["cluster", "fleetNodes"], config.cluster.fleetNodes, "must be at least 2 with cluster.ha: the two pods of each server need nodes in two zones");
    }
  }
}

/**
 * A quarter of the run, at most 15 s. Measured here: a fresh dev fleet at 1,000 req/s carried the backlog of its cold
 * start (p90 0.3-1.7 s) for 8-13 s before it settled at 5-20 ms, so a 5 s warm-up measured the cold start, not the rate.
 */
export function defaultWarmupSeconds(durationSeconds: number): number {
  return Math.min(15, durationSeconds / 4);
}

function defaultProcessor(acceleratorKind: "nvidia" | "neuron" | undefined): "cpu" | "gpu" | "inf" {
  return acceleratorKind === "nvidia" ? "gpu" : acceleratorKind === "neuron" ? "inf" : "cpu";
}

export type FleetConfig = z.output<typeof fleetConfigSchema>;
export type FleetConfigInput = z.input<typeof fleetConfigSchema>;
export type ClusterConfig = FleetConfig["cluster"];

import { beforeAll, describe, expect, it } from "vitest";
import { ConfigError, getInstanceType, loadStackConfig, planStack, PROJECT } from "@inference-fleet/fleet-config";
import { readFleetConfig } from "./config.js";
import { POLICIES } from "./policy/policies.js";
import { isKubernetesObject, loadSchemaValidator } from "./testing/kubernetes-schema.js";
import { programViolations } from "./testing/policy-harness.js";
import { MOCK_PRIVATE_SUBNETS, mockStack, stackFileConfig, unwrap, type RecordedResource } from "./testing/pulumi-harness.js";
import { ofType, resourceKey, runProgram, stacks, TEST_DEPLOYER_ARN, type ProgramRun } from "./testing/run-program.js";

const schemaValidator = await loadSchemaValidator();

/** The node role's policy attachments (add-on roles have their own). */
const nodeRoleAttachments = (resources: readonly RecordedResource[]) =>
  ofType(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => /-node-\d+$/.test(a.name));
// A skipped check would pass silently: in CI (npm ci installed everything) it is a failure.
if (typeof schemaValidator === "string" && process.env["CI"]) throw new Error(`The Kubernetes schema checks cannot run: ${schemaValidator}`);
if (typeof schemaValidator === "string") console.warn(`Skipping the Kubernetes schema checks: ${schemaValidator}`);

describe("the stack files", () => {
  it("include the five stacks", () => {
    expect(stacks).toEqual(expect.arrayContaining(["dev", "c7i", "c7g", "g5", "inf2"]));
  });
});

describe.each(stacks)("the program for stack %s, under mocks", (stack) => {
  const config = loadStackConfig(stack, { env: {} });
  const facts = getInstanceType(config.instanceType);
  // One program run per stack, one stack at a time: the mocks are process-wide.
  let run: Promise<ProgramRun>;
  beforeAll(async () => {
    run = runProgram(stack);
    await run;
  });

  it("puts every node group in the private subnets, with a launch template", async () => {
    const groups = ofType((await run).resources, "eks:index:ManagedNodeGroup");
    expect(groups).toHaveLength(2);
    for (const group of groups) {
      expect(group.inputs.subnetIds).toEqual(MOCK_PRIVATE_SUBNETS);
      expect(group.inputs.launchTemplate.id).toBeTruthy();
    }
  });

  it("requires IMDSv2 with hop limit 1 and encrypted gp3 root volumes", async () => {
    const templates = ofType((await run).resources, "aws:ec2/launchTemplate:LaunchTemplate");
    expect(templates).toHaveLength(2);
    for (const template of templates) {
      expect(template.inputs.metadataOptions).toMatchObject({ httpTokens: "required", httpPutResponseHopLimit: 1 });
      expect(template.inputs.blockDeviceMappings[0].ebs).toMatchObject({ volumeType: "gp3", encrypted: "true" });
    }
  });

  it("gives the fleet node group the AMI type and taints of its instance type", async () => {
    const fleet = ofType((await run).resources, "eks:index:ManagedNodeGroup").find((g) => g.name.endsWith("-fleet"))!;
    const byAccelerator: Record<string, string> = { nvidia: "AL2023_x86_64_NVIDIA", neuron: "AL2023_x86_64_NEURON" };
    const expectedAmi = facts.accelerator
      ? byAccelerator[facts.accelerator.kind]
      : facts.arch === "arm64"
        ? "AL2023_ARM_64_STANDARD"
        : "AL2023_x86_64_STANDARD";
    expect(fleet.inputs.amiType).toBe(expectedAmi);
    expect(fleet.inputs.instanceTypes).toEqual([config.instanceType]);
    const taintKeys = fleet.inputs.taints.map((t: { key: string }) => t.key);
    expect(taintKeys).toContain("inference-fleet.io/dedicated");
    if (facts.accelerator) expect(taintKeys).toContain(facts.accelerator.kind === "nvidia" ? "nvidia.com/gpu" : "aws.amazon.com/neuron");
    else expect(taintKeys).toHaveLength(1);
  });

  it("pre-pulls the server image with a command that exists in it", async () => {
    const prePull = ofType((await run).resources, "kubernetes:apps/v1:DaemonSet").find((d) => d.inputs.metadata.name === "image-pre-pull");
    if (!config.cluster.prePullImages) return expect(prePull).toBeUndefined();
    const expected = config.server.processor === "inf" ? "python3" : "node";
    expect(prePull!.inputs.spec.template.spec.initContainers[0].command[0]).toBe(expected);
  });

  it("installs the device plugin only where the fleet has accelerators", async () => {
    const daemonSets = ofType((await run).resources, "kubernetes:apps/v1:DaemonSet").map((d) => d.inputs.metadata.name);
    expect(daemonSets.includes("nvidia-device-plugin")).toBe(facts.accelerator?.kind === "nvidia");
    expect(daemonSets.includes("neuron-device-plugin")).toBe(facts.accelerator?.kind === "neuron");
  });

  it("makes an encrypted, logged, access-entry cluster whose endpoint is limited to the given CIDRs", async () => {
    const [cluster] = ofType((await run).resources, "eks:index:Cluster");
    expect(cluster!.inputs).toMatchObject({
      endpointPrivateAccess: true,
      authenticationMode: "API",
      publicAccessCidrs: ["198.51.100.0/24"],
      skipDefaultNodeGroup: true,
    });
    expect(cluster!.inputs.encryptionConfigKeyArn).toBeTruthy();
    expect(cluster!.inputs.enabledClusterLogTypes).toContain("audit");
    expect(ofType((await run).resources, "aws:eks/addon:Addon").map((a) => a.inputs.addonName)).toContain("eks-pod-identity-agent");
  });

  it("builds our image with scan on push and immutable tags, unless the stack names an external image", async () => {
    const { resources, outputs } = await run;
    const repositories = ofType(resources, "awsx:ecr:Repository");
    const images = ofType(resources, "awsx:ecr:Image");
    if (config.server.image) {
      expect(repositories).toHaveLength(0);
      expect(await unwrap(outputs.serverImage)).toBe(config.server.image);
      return;
    }
    expect(repositories[0]!.inputs).toMatchObject({ imageScanningConfiguration: { scanOnPush: true }, imageTagMutability: "IMMUTABLE" });
    expect(images[0]!.inputs).toMatchObject({ platform: facts.arch === "arm64" ? "linux/arm64" : "linux/amd64", imageTag: "cpu-test" });
    const dockerfiles = { gpu: /model-server\/Dockerfile\.gpu$/, inf: /neuron-server\/Dockerfile\.neuron$/, cpu: /model-server\/Dockerfile$/ };
    expect(images[0]!.inputs.dockerfile).toMatch(dockerfiles[config.server.processor]);
  });

  it("blocks public access to the bucket, encrypts and versions it, and denies plain HTTP", async () => {
    const { resources } = await run;
    expect(ofType(resources, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[0]!.inputs).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(ofType(resources, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")).toHaveLength(1);
    expect(ofType(resources, "aws:s3/bucketVersioning:BucketVersioning")[0]!.inputs.versioningConfiguration.status).toBe("Enabled");
    const policy = JSON.parse(ofType(resources, "aws:s3/bucketPolicy:BucketPolicy")[0]!.inputs.policy);
    expect(policy.Statement[0]).toMatchObject({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } });
  });

  it("gives the servers read-only model access through Pod Identity pinned to their ServiceAccount", async () => {
    const { resources } = await run;
    const association = ofType(resources, "aws:eks/podIdentityAssociation:PodIdentityAssociation").find((a) => a.inputs.serviceAccount === "model-server")!;
    expect(association.inputs.namespace).toBe(config.namespace);
    const roles = ofType(resources, "aws:iam/role:Role");
    const role = roles.find((r) => association.inputs.roleArn.endsWith(`/${r.name}`))!;
    const trust = JSON.parse(role.inputs.assumeRolePolicy).Statement[0];
    expect(trust.Principal).toEqual({ Service: "pods.eks.amazonaws.com" });
    expect(trust.Condition.StringEquals).toMatchObject({
      "aws:RequestTag/kubernetes-namespace": config.namespace,
      "aws:RequestTag/kubernetes-service-account": "model-server",
    });
    const policy = JSON.parse(ofType(resources, "aws:iam/rolePolicy:RolePolicy").find((p) => p.name === role.name)!.inputs.policy);
    const actions = policy.Statement.flatMap((s: { Action: string[] }) => s.Action);
    if (config.server.processor !== "inf") return expect(actions).toEqual(["s3:GetObject", "s3:ListBucket"]);
    // The Neuron server writes its compiled models under the model prefix's neuron/ folder, and nowhere else.
    expect(actions).toEqual(["s3:GetObject", "s3:ListBucket", "s3:PutObject"]);
    expect(policy.Statement[2].Resource).toMatch(/^arn:aws:s3:::.+\/models\/bert-qa\/neuron\/\*$/);
  });

  it("attaches no application permission to the node role", async () => {
    const attachments = nodeRoleAttachments((await run).resources).map((a) => a.inputs.policyArn);
    expect(attachments).toHaveLength(3);
    expect(attachments.every((arn: string) => /AmazonEKSWorkerNodePolicy|AmazonEKS_CNI_Policy|AmazonEC2ContainerRegistryPullOnly/.test(arn))).toBe(true);
  });

  it("runs numServers servers with nodeSelector, tolerations, requests = limits, probes and a restricted securityContext", async () => {
    const deployments = ofType((await run).resources, "kubernetes:apps/v1:Deployment");
    expect(deployments.map((d) => d.inputs.metadata.name)).toEqual(Array.from({ length: config.server.numServers }, (_, i) => `server${i}`));
    for (const deployment of deployments) {
      const pod = deployment.inputs.spec.template.spec;
      const [container] = pod.containers;
      // The role too: in the dev stacks the system nodes are of the fleet's type, and a server must not land there.
      expect(pod.nodeSelector).toEqual({ "node.kubernetes.io/instance-type": config.instanceType, "inference-fleet.io/role": "fleet" });
      expect(pod.tolerations.map((t: { key: string }) => t.key)).toContain("inference-fleet.io/dedicated");
      // A surge pod only where fleet plan finds room for it: on a full node it would stay Pending and hang `up`.
      expect(deployment.inputs.spec.strategy.rollingUpdate.maxSurge).toBe(planStack(config).rollout.strategy === "surge" ? 1 : 0);
      expect(container.resources.requests).toEqual(container.resources.limits);
      expect(container.resources.limits.cpu).toBe(config.server.resources.cpu);
      if (config.server.resources.gpus > 0) expect(container.resources.limits["nvidia.com/gpu"]).toBe(String(config.server.resources.gpus));
      if (config.server.resources.neuronDevices > 0)
        expect(container.resources.limits["aws.amazon.com/neuron"]).toBe(String(config.server.resources.neuronDevices));
      expect(container.startupProbe && container.livenessProbe && container.readinessProbe).toBeTruthy();
      expect(container.securityContext).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(config.server.requestTimeoutMs);
      // Out of the Service's endpoints before SIGTERM; the grace period covers that sleep and the whole drain.
      const preStop = container.lifecycle.preStop.sleep.seconds;
      expect(preStop).toBe(config.server.expose === "none" ? 5 : 20);
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(preStop + Math.ceil((config.server.requestTimeoutMs + 1000) / 1000));
      if (!config.server.image && config.server.processor !== "inf") {
        expect(container.startupProbe.httpGet.port).toBe("health");
        expect(container.ports).toContainEqual(expect.objectContaining({ name: "health", containerPort: 8081 }));
        expect(container.env).toContainEqual({ name: "HEALTH_PORT", value: "8081" });
      } else {
        expect(container.startupProbe.httpGet.port).toBe("http");
      }
    }
    expect(ofType((await run).resources, "kubernetes:core/v1:Service")).toHaveLength(config.server.numServers);
  });

  it("serves metrics on the pod IP, where the Service's metrics port and the scrape NetworkPolicy point", async () => {
    const { resources } = await run;
    if (config.server.image) return;
    for (const deployment of ofType(resources, "kubernetes:apps/v1:Deployment")) {
      const [container] = deployment.inputs.spec.template.spec.containers;
      const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
      expect(env).toMatchObject({ METRICS_PORT: "9090", METRICS_HOST: "0.0.0.0", HOST: "0.0.0.0" });
      expect(container.ports).toContainEqual(expect.objectContaining({ name: "metrics", containerPort: 9090 }));
    }
    for (const service of ofType(resources, "kubernetes:core/v1:Service"))
      expect(service.inputs.spec.ports).toContainEqual(expect.objectContaining({ name: "metrics", targetPort: "metrics" }));
    const scrape = ofType(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy").find((p) => p.inputs.metadata.name === "allow-metrics-scrape")!;
    expect(scrape.inputs.spec.ingress[0].ports).toEqual([{ protocol: "TCP", port: 9090 }]);
  });

  it("labels both namespaces restricted and has a PodDisruptionBudget and default-deny policies", async () => {
    const { resources } = await run;
    for (const ns of ofType(resources, "kubernetes:core/v1:Namespace"))
      expect(ns.inputs.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    expect(ofType(resources, "kubernetes:policy/v1:PodDisruptionBudget")[0]!.inputs.spec.maxUnavailable).toBe(1);
    const denies = ofType(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy").filter((p) => p.inputs.metadata.name === "default-deny");
    expect(denies.map((p) => p.inputs.metadata.namespace).sort()).toEqual([config.namespace, `${config.namespace}-load-test`].sort());
  });

  it("runs k6 as an Indexed Job with one completion per load pod, targeting every server", async () => {
    const { resources, outputs } = await run;
    const [job] = ofType(resources, "kubernetes:batch/v1:Job");
    expect(job!.inputs.spec).toMatchObject({ completionMode: "Indexed", completions: config.loadTest.pods, parallelism: config.loadTest.pods });
    const env = Object.fromEntries(
      job!.inputs.spec.template.spec.initContainers[0].env
        .filter((e: { value?: string }) => e.value !== undefined)
        .map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    expect(env.TARGETS.split(",")).toHaveLength(config.server.numServers);
    expect(job!.inputs.spec.template.spec.nodeSelector).toEqual({ "node.kubernetes.io/instance-type": config.loadTest.instanceType });
    expect(await unwrap(outputs.resultsUri)).toMatch(new RegExp(`^s3://.+/results/${stack}/k6-[0-9a-f]{10}/$`));
    expect(await unwrap(outputs.loadTestJobName)).toBe(job!.inputs.metadata.name);
  });

  it("starts server pods only after their model files and Pod Identity association exist, and k6 pods after theirs", async () => {
    const { resources, dependsOn } = await run;
    const association = (serviceAccount: string) => {
      const found = ofType(resources, "aws:eks/podIdentityAssociation:PodIdentityAssociation").find((a) => a.inputs.serviceAccount === serviceAccount)!;
      return resourceKey(found.type, found.name);
    };
    const uploads = ofType(resources, "aws:s3/bucketObject:BucketObject").map((o) => resourceKey(o.type, o.name));
    expect(uploads.length).toBeGreaterThanOrEqual(2); // model.onnx and tokenizer.json, and model.json where the dir has one
    for (const deployment of ofType(resources, "kubernetes:apps/v1:Deployment")) {
      const deps = dependsOn.get(resourceKey(deployment.type, deployment.name)) ?? [];
      expect(deps).toContain(association("model-server"));
      expect(deps).toEqual(expect.arrayContaining(uploads));
    }
    const [job] = ofType(resources, "kubernetes:batch/v1:Job");
    expect(dependsOn.get(resourceKey(job!.type, job!.name))).toContain(association("k6"));
  });

  it("creates each node group after the node role's policy attachments, so destroy removes the nodes first", async () => {
    const { resources, dependsOn } = await run;
    const attachments = nodeRoleAttachments(resources).map((a) => resourceKey(a.type, a.name));
    expect(attachments).toHaveLength(3);
    for (const group of ofType(resources, "eks:index:ManagedNodeGroup")) {
      expect(dependsOn.get(resourceKey(group.type, group.name))).toEqual(expect.arrayContaining(attachments));
    }
  });

  it("owns the control-plane log group, with a retention, and creates it before the cluster", async () => {
    const { resources, dependsOn } = await run;
    const [cluster] = ofType(resources, "eks:index:Cluster");
    const [logGroup] = ofType(resources, "aws:cloudwatch/logGroup:LogGroup");
    expect(logGroup!.inputs).toMatchObject({ name: `/aws/eks/${cluster!.inputs.name}/cluster`, retentionInDays: config.cluster.logRetentionDays });
    expect(dependsOn.get(resourceKey(cluster!.type, cluster!.name))).toContain(resourceKey(logGroup!.type, logGroup!.name));
  });

  it("violates none of the policy pack's rules (with the options the program gives each resource)", async () => {
    const { resources, customTimeouts } = await run;
    expect(await programViolations(POLICIES, resources, customTimeouts)).toEqual([]);
    // The wait for every server covers its startup probe: the class check ran on real Deployments, with their timeouts.
    const servers = ofType(resources, "kubernetes:apps/v1:Deployment").filter((d) => d.name.includes("-server"));
    expect(servers.length).toBeGreaterThan(0);
    for (const server of servers) expect(customTimeouts.get(resourceKey(server.type, server.name))?.createSeconds).toBeGreaterThan(600);
  });

  it.skipIf(typeof schemaValidator === "string")("produces Kubernetes objects that validate against the Kubernetes OpenAPI schema", async () => {
    const validate = schemaValidator as Exclude<typeof schemaValidator, string>;
    const objects = (await run).resources.filter(isKubernetesObject);
    expect(objects.length).toBeGreaterThan(10);
    for (const object of objects) expect(() => validate(object), `${object.type} ${object.name}`).not.toThrow();
  });
});

describe("a bring-your-own cluster", () => {
  it("skips Network and Cluster and sets up Pod Identity in the named cluster", async () => {
    const cluster = { existing: { clusterName: "shared-cluster" } };
    const { resources } = await runProgram("dev", { [`${PROJECT}:cluster`]: cluster });
    expect(ofType(resources, "awsx:ec2:Vpc")).toHaveLength(0);
    expect(ofType(resources, "eks:index:Cluster")).toHaveLength(0);
    expect(ofType(resources, "aws:eks/podIdentityAssociation:PodIdentityAssociation").map((a) => a.inputs.clusterName)).toEqual([
      "shared-cluster",
      "shared-cluster",
    ]);
    expect(ofType(resources, "kubernetes:apps/v1:Deployment")).toHaveLength(2);
  });
});

describe("a stack with a bad value", () => {
  it.each([
    ["inference-fleet:server", { numServers: 0 }, "server.numServers"],
    ["inference-fleet:instanceType", "c7x.huge", "instanceType"],
    ["inference-fleet:cluster", { publicAccessCidrs: [] }, "cluster.publicAccessCidrs"],
  ])("%s = %j fails before any resource is registered, naming %s", async (key, value, field) => {
    const resources = await mockStack("dev", { ...stackFileConfig("dev"), [key]: value });
    expect(() => readFleetConfig()).toThrow(ConfigError);
    expect(() => readFleetConfig()).toThrow(field);
    expect(resources).toHaveLength(0);
  });
});

describe("cluster admins", () => {
  it("adds access entries for extra admins but none for the deployer, whom EKS bootstraps as admin", async () => {
    const deployerRole = "arn:aws:iam::123456789012:role/ci/platform-deployer";
    const other = "arn:aws:iam::123456789012:role/platform-admins";
    const cluster = {
      ...(stackFileConfig("dev")[`${PROJECT}:cluster`] as object),
      publicAccessCidrs: ["198.51.100.0/24"],
      adminPrincipals: [deployerRole, other],
    };
    const { resources } = await runProgram("dev", { [`${PROJECT}:cluster`]: cluster });
    expect(TEST_DEPLOYER_ARN).toContain("assumed-role/platform-deployer/");
    const entries = Object.values(ofType(resources, "eks:index:Cluster")[0]!.inputs.accessEntries as Record<string, { principalArn: string }>);
    expect(entries.map((entry) => entry.principalArn)).toEqual([other]);
  });
});

describe("a stack that does not fit its nodes", () => {
  it("fails before any resource is registered, naming the field, the pod, the node and the shortfall", async () => {
    const config = stackFileConfig("c7i");
    const resources = await mockStack("c7i", {
      ...config,
      [`${PROJECT}:server`]: { ...(config[`${PROJECT}:server`] as object), numServers: 8 },
      [`${PROJECT}:cluster`]: { ...(config[`${PROJECT}:cluster`] as object), publicAccessCidrs: ["198.51.100.0/24"] },
    });
    expect(() => readFleetConfig()).toThrow(ConfigError);
    expect(() => readFleetConfig()).toThrow(
      /server\.numServers: does not fit: server5 needs 3 CPU, 4 GiB memory; 0\.505 CPU, .* left on c7i\.4xlarge node 1 of 1/,
    );
    expect(resources).toHaveLength(0);
  });
});

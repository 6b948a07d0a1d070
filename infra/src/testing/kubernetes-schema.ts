/**
 * Validates the Kubernetes objects the program registered against the Kubernetes OpenAPI schemas
 * (kubernetes-models), by their Pulumi type token. Test-only.
 */
import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";
import { parse as parseYaml } from "yaml";
import type { RecordedResource } from "./pulumi-harness.js";

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: any) => Validatable;

/** Pulumi type token -> kubernetes-models module path and class name. */
const MODELS: Record<string, [module: string, className: string]> = {
  "kubernetes:apps/v1:DaemonSet": ["apps/v1/DaemonSet", "DaemonSet"],
  "kubernetes:apps/v1:Deployment": ["apps/v1/Deployment", "Deployment"],
  "kubernetes:batch/v1:Job": ["batch/v1/Job", "Job"],
  "kubernetes:core/v1:ConfigMap": ["v1/ConfigMap", "ConfigMap"],
  "kubernetes:core/v1:Namespace": ["v1/Namespace", "Namespace"],
  "kubernetes:core/v1:Service": ["v1/Service", "Service"],
  "kubernetes:core/v1:ServiceAccount": ["v1/ServiceAccount", "ServiceAccount"],
  "kubernetes:networking.k8s.io/v1:NetworkPolicy": ["networking.k8s.io/v1/NetworkPolicy", "NetworkPolicy"],
  "kubernetes:networking.k8s.io/v1:Ingress": ["networking.k8s.io/v1/Ingress", "Ingress"],
  "kubernetes:policy/v1:PodDisruptionBudget": ["policy/v1/PodDisruptionBudget", "PodDisruptionBudget"],
  "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": ["rbac.authorization.k8s.io/v1/ClusterRole", "ClusterRole"],
  "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": ["rbac.authorization.k8s.io/v1/ClusterRoleBinding", "ClusterRoleBinding"],
};

/**
 * Custom resources -> the CRD they are checked against, fetched unchanged from the project that publishes it:
 * kedacore/keda v2.20.2 (commit 68a5b5028f35b22d50597c69819ab32c4e92f21a) config/crd/bases/, the CRDs of the KEDA
 * chart version infra installs (kedacore/charts keda 2.20.2).
 */
const CRD_FIXTURES: Record<string, string> = {
  "kubernetes:keda.sh/v1alpha1:ScaledObject": "keda-2.20.2/keda.sh_scaledobjects.yaml",
  "kubernetes:keda.sh/v1alpha1:TriggerAuthentication": "keda-2.20.2/keda.sh_triggerauthentications.yaml",
};

type JsonSchema = Record<string, unknown>;

/**
 * The CRD version's openAPIV3Schema with unknown fields refused: the API server prunes (drops) them silently, and
 * `kubectl apply --validate=strict` refuses them, so a misspelt field must fail here rather than vanish there.
 */
function strictSchema(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "properties" && value && typeof value === "object") {
      out[key] = Object.fromEntries(Object.entries(value as Record<string, JsonSchema>).map(([name, sub]) => [name, strictSchema(sub)]));
    } else if ((key === "items" || key === "additionalProperties") && value && typeof value === "object") {
      out[key] = strictSchema(value as JsonSchema);
    } else {
      out[key] = value;
    }
  }
  const open = schema["x-kubernetes-preserve-unknown-fields"] === true || "additionalProperties" in schema;
  if (schema["properties"] && !open) out["additionalProperties"] = false;
  return out;
}

/** A validator for one custom resource kind from its CRD fixture (the version the object's apiVersion names). */
export function crdValidator(fixture: string, version: string): ValidateFunction {
  const crd = parseYaml(readFileSync(new URL(fixture, import.meta.url), "utf8")) as {
    spec: { versions: Array<{ name: string; schema: { openAPIV3Schema: JsonSchema } }> };
  };
  const found = crd.spec.versions.find((v) => v.name === version);
  if (!found) throw new Error(`${fixture} has no version ${version}: fetch the CRD of the chart version infra installs.`);
  // Kubernetes' own keywords (x-kubernetes-*) are not JSON Schema: strict mode off so Ajv ignores them.
  return new Ajv({ strict: false, allErrors: true }).compile(strictSchema(found.schema.openAPIV3Schema));
}

/** Validates a custom resource's inputs against its CRD fixture; throws with Ajv's errors. */
export function validateCustomResource(resource: RecordedResource): void {
  const fixture = CRD_FIXTURES[resource.type];
  if (!fixture) throw new Error(`No CRD fixture for ${resource.type}: fetch its CRD into src/testing and add it to CRD_FIXTURES.`);
  const [, apiVersion = "", kind] = resource.type.split(":");
  const validate = crdValidator(fixture, apiVersion.split("/")[1]!);
  const object = { ...resource.inputs, apiVersion, kind };
  if (!validate(object)) throw new Error(`${kind} ${resource.name} does not match its CRD: ${JSON.stringify(validate.errors)}`);
}

export type SchemaValidator = (resource: RecordedResource) => void;

/**
 * Loads the schema models, or says why they cannot load (kubernetes-models needs ajv and friends
 * at run time; an install without them cannot validate, and the caller skips with this reason).
 */
export async function loadSchemaValidator(): Promise<SchemaValidator | string> {
  const classes = new Map<string, ModelClass>();
  try {
    for (const [type, [module, className]] of Object.entries(MODELS)) {
      const loaded = (await import(`kubernetes-models/${module}`)) as Record<string, ModelClass>;
      classes.set(type, loaded[className]!);
    }
  } catch (error) {
    return (
      `kubernetes-models cannot load (${(error as Error).message.split("\n")[0]}): run \`npm install\` so its dependencies (ajv, ajv-i18n, ` +
      `ajv-formats-draft2019, is-plain-object, ip-regex) are installed.`
    );
  }
  return (resource) => {
    if (CRD_FIXTURES[resource.type]) return validateCustomResource(resource);
    const Model = classes.get(resource.type);
    if (!Model) throw new Error(`No kubernetes-models class for ${resource.type}: add it to testing/kubernetes-schema.ts.`);
    const [, apiVersionPath = "", kind] = resource.type.split(":");
    const apiVersion = apiVersionPath.startsWith("core/") ? apiVersionPath.slice("core/".length) : apiVersionPath;
    new Model({ ...resource.inputs, apiVersion, kind }).validate();
  };
}

/** Kubernetes API objects; Helm releases are Pulumi resources (their values are checked by tests, their charts by upstream). */
export function isKubernetesObject(resource: RecordedResource): boolean {
  return resource.type.startsWith("kubernetes:") && !resource.type.startsWith("kubernetes:helm.sh/");
}

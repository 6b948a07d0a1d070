/**
 * Validates the Kubernetes objects the program registered against the Kubernetes OpenAPI schemas
 * (kubernetes-models), by their Pulumi type token. Test-only.
 */
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

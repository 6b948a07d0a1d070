import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { forTypes, TYPES } from "./by-type.js";

const BLOCK_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

export const s3PublicAccessBlocked: ResourceValidationPolicy = {
  name: "s3-public-access-block-complete",
  description: "Bucket public access blocks turn on all four settings.",
  enforcementLevel: "mandatory",
  validateResource: forTypes([TYPES.publicAccessBlock], (props, report) => {
    const off = BLOCK_FLAGS.filter((flag) => props[flag] !== true);
    if (off.length > 0) report(`The public access block leaves ${off.join(", ")} off: set all four to true.`);
  }),
};

export const s3EncryptionByDefault: ResourceValidationPolicy = {
  name: "s3-encryption-by-default",
  description: "Bucket encryption configurations name an algorithm for default encryption.",
  enforcementLevel: "mandatory",
  validateResource: forTypes([TYPES.bucketEncryption], (props, report) => {
    const rules: Array<{ applyServerSideEncryptionByDefault?: { sseAlgorithm?: string } }> = props.rules ?? [];
    if (!rules.some((rule) => rule.applyServerSideEncryptionByDefault?.sseAlgorithm)) {
      report('No default encryption rule: add rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }].');
    }
  }),
};

/** The bucket a per-bucket setting applies to, by the resource it depends on or by name. */
function appliesTo(setting: PolicyResource, bucket: PolicyResource): boolean {
  if (setting.propertyDependencies?.bucket?.some((dependency) => dependency.urn === bucket.urn)) return true;
  const target = setting.props.bucket;
  return target !== undefined && (target === bucket.props.bucket || target === bucket.props.id);
}

export const s3BucketsBlockedAndEncrypted: StackValidationPolicy = {
  name: "s3-buckets-blocked-and-encrypted",
  description: "Every S3 bucket has a public access block and a default encryption configuration.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const settings = (type: string) => args.resources.filter((resource) => resource.type === type);
    for (const bucket of settings(TYPES.bucket)) {
      if (!settings(TYPES.publicAccessBlock).some((block) => appliesTo(block, bucket))) {
        report(`Bucket ${bucket.name} has no public access block: add an aws.s3.BucketPublicAccessBlock for it.`, bucket.urn);
      }
      if (!settings(TYPES.bucketEncryption).some((encryption) => appliesTo(encryption, bucket))) {
        report(`Bucket ${bucket.name} has no default encryption: add an aws.s3.BucketServerSideEncryptionConfiguration for it.`, bucket.urn);
      }
    }
  },
};

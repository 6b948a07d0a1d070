import type * as awsx from "@pulumi/awsx";

/**
 * Expire untagged layers after a day and keep the newest 30 images: content tags make every
 * change a new image, so without a policy the repository only grows.
 */
export function lifecyclePolicyFor(keepImages = 30): awsx.types.input.ecr.LifecyclePolicyArgs {
  if (!Number.isInteger(keepImages) || keepImages < 1) throw new Error(`keepImages must be a whole number of at least 1, got ${keepImages}.`);
  return {
    rules: [
      { description: "Expire untagged images after a day", tagStatus: "untagged", maximumAgeLimit: 1 },
      { description: `Keep the newest ${keepImages} images`, tagStatus: "any", maximumNumberOfImages: keepImages },
    ],
  };
}

/** Repository settings the policy pack requires: scan on push, immutable tags, a lifecycle policy. */
export function buildRepositoryArgs(): awsx.ecr.RepositoryArgs {
  return {
    imageScanningConfiguration: { scanOnPush: true },
    imageTagMutability: "IMMUTABLE",
    encryptionConfigurations: [{ encryptionType: "AES256" }],
    lifecyclePolicy: lifecyclePolicyFor(),
    // `pulumi destroy` removes the benchmark's images with it.
    forceDelete: true,
  };
}

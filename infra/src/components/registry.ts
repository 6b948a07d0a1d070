import path from "node:path";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { serverImagePlan, type FleetConfig } from "@inference-fleet/fleet-config";
import { stageImageContext } from "../builders/image-content.js";
import { buildRepositoryArgs } from "../builders/registry.js";

export interface RegistryArgs {
  /** The fleet config: processor (CPU or GPU image), instance type (platform), or an external image. */
  readonly config: FleetConfig;
  /** The repo root: the image's build context is staged from it (stageImageContext). */
  readonly repoRoot: string;
  /**
   * The content tag of the image; computed from the image's input files when absent. Tests pass
   * one, since the tag reads every file the Dockerfile copies.
   */
  readonly imageTag?: string;
}

/**
 * An ECR repository (scan on push, immutable tags, lifecycle policy) and the model-server image
 * built for the fleet nodes' platform and tagged by the content of everything its Dockerfile copies.
 * With server.image in the config nothing is built and that image is used as is.
 */
export class Registry extends pulumi.ComponentResource {
  /** The image the fleet runs. */
  readonly serverImage: pulumi.Output<string>;
  readonly repositoryUrl?: pulumi.Output<string>;

  constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-fleet:infra:Registry", name, {}, opts);
    const { config, repoRoot } = args;
    const plan = serverImagePlan(config);
    if (plan.kind === "external") {
      this.serverImage = pulumi.output(plan.image);
    } else {
      const repository = new awsx.ecr.Repository(name, buildRepositoryArgs(), { parent: this });
      // The context holds exactly what the tag hashes (tests pass a tag and skip the copy).
      const context = args.imageTag === undefined ? stageImageContext(repoRoot, plan.dockerfile, plan.variant) : { dir: repoRoot, tag: args.imageTag };
      const image = new awsx.ecr.Image(
        `${name}-${plan.variant}`,
        {
          repositoryUrl: repository.url,
          context: context.dir,
          dockerfile: path.join(context.dir, plan.dockerfile),
          platform: plan.platform,
          imageTag: context.tag,
        },
        { parent: this },
      );
      this.repositoryUrl = repository.url;
      this.serverImage = image.imageUri;
    }
    this.registerOutputs({ serverImage: this.serverImage });
  }
}

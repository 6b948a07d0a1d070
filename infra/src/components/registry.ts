import path from "node:path";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { getInstanceType, type FleetConfig } from "@inference-fleet/fleet-config";
import { contentTag, imageInputFiles } from "../builders/image-content.js";
import { platformFor } from "../builders/node-groups.js";
import { buildRepositoryArgs, dockerfileFor } from "../builders/registry.js";

export interface RegistryArgs {
  /** The fleet config: processor (CPU or GPU image), instance type (platform), or an external image. */
  readonly config: FleetConfig;
  /** The repo root: the Docker build context. */
  readonly repoRoot: string;
  /**
   * The content tag of the image; computed from the image's input files when absent. Tests pass
   * one, since the tag reads every file of the server package.
   */
  readonly imageTag?: string;
}

/**
 * An ECR repository (scan on push, immutable tags, lifecycle policy) and the model-server image
 * built for the fleet nodes' platform and tagged by content. With server.image in the config
 * (e.g. a Neuron server on inf2) nothing is built and that image is used as is.
 */
export class Registry extends pulumi.ComponentResource {
  /** The image the fleet runs. */
  readonly serverImage: pulumi.Output<string>;
  readonly repositoryUrl?: pulumi.Output<string>;

  constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-fleet:infra:Registry", name, {}, opts);
    const { config, repoRoot } = args;
    if (config.server.image) {
      this.serverImage = pulumi.output(config.server.image);
    } else {
      const repository = new awsx.ecr.Repository(name, buildRepositoryArgs(), { parent: this });
      const { dockerfile, variant } = dockerfileFor(config);
      const image = new awsx.ecr.Image(`${name}-${variant}`, {
        repositoryUrl: repository.url,
        context: repoRoot,
        dockerfile: path.join(repoRoot, dockerfile),
        platform: platformFor(getInstanceType(config.instanceType).arch),
        imageTag: args.imageTag ?? contentTag(repoRoot, imageInputFiles(repoRoot), variant),
      }, { parent: this });
      this.repositoryUrl = repository.url;
      this.serverImage = image.imageUri;
    }
    this.registerOutputs({ serverImage: this.serverImage });
  }
}

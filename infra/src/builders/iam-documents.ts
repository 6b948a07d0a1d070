/** IAM policy documents as plain data, so tests and the policy pack can read them. */

interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: unknown;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** Denies every request to the bucket that does not use TLS. */
export function tlsOnlyBucketPolicy(bucketArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  };
}

/**
 * Trust for EKS Pod Identity, pinned to one cluster, namespace and ServiceAccount through the
 * session tags the Pod Identity agent sets.
 */
export function podIdentityTrustPolicy(clusterArn: string, namespace: string, serviceAccount: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "pods.eks.amazonaws.com" },
        Action: ["sts:AssumeRole", "sts:TagSession"],
        Condition: {
          StringEquals: {
            "aws:RequestTag/eks-cluster-arn": clusterArn,
            "aws:RequestTag/kubernetes-namespace": namespace,
            "aws:RequestTag/kubernetes-service-account": serviceAccount,
          },
        },
      },
    ],
  };
}

/** An s3:// URI split into bucket and key prefix (prefix ends with "/" unless empty). */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new Error(`"${uri}" is not an s3://bucket/prefix URI.`);
  const prefix = match[2] ?? "";
  return { bucket: match[1]!, prefix: prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/` };
}

/**
 * Read-only access to the objects under one prefix (list restricted to that prefix), and write access
 * to one subfolder of it when given (the Neuron server stores compiled models under <prefix>neuron/).
 */
export function readPrefixPolicy(bucket: string, prefix: string, writableSubfolder?: string): PolicyDocument {
  const statements: PolicyStatement[] = [
    { Sid: "ReadModelObjects", Effect: "Allow", Action: ["s3:GetObject"], Resource: `arn:aws:s3:::${bucket}/${prefix}*` },
    {
      Sid: "ListModelPrefix",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: `arn:aws:s3:::${bucket}`,
      Condition: { StringLike: { "s3:prefix": [`${prefix}*`] } },
    },
  ];
  if (writableSubfolder) {
    statements.push({
      Sid: "WriteCompiledModels",
      Effect: "Allow",
      Action: ["s3:PutObject"],
      Resource: `arn:aws:s3:::${bucket}/${prefix}${writableSubfolder}*`,
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}

/** Write-only access for result files under one prefix. */
export function writePrefixPolicy(bucket: string, prefix: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{ Sid: "WriteResults", Effect: "Allow", Action: ["s3:PutObject"], Resource: `arn:aws:s3:::${bucket}/${prefix}*` }],
  };
}

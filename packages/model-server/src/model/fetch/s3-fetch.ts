import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, S3Client } from "@aws-sdk/client-s3";
import type { Readable } from "node:stream";
import { DEFAULT_FETCH_TIMEOUTS } from "./fetch-deadlines.js";
import type { RemoteFile } from "./fetch-model-dir.js";

let client: S3Client | undefined;

/**
 * The S3 client: default credential chain and region; AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL point
 * it at another S3-compatible store (path-style addressing, as local stores need). Its connect and socket
 * idle timeouts are the fetch defaults (10 s, 30 s) rather than none: a listing of a store that accepts
 * and never answers fails instead of hanging; a file's fetch also has resolveModelSource's own deadlines.
 */
function s3Client(): S3Client {
  const endpoint = process.env["AWS_ENDPOINT_URL_S3"] ?? process.env["AWS_ENDPOINT_URL"];
  client ??= new S3Client({
    region: process.env["AWS_REGION"] ?? process.env["AWS_DEFAULT_REGION"] ?? "us-east-1",
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    requestHandler: { connectionTimeout: DEFAULT_FETCH_TIMEOUTS.connectTimeoutMs, requestTimeout: DEFAULT_FETCH_TIMEOUTS.readTimeoutMs },
  });
  return client;
}

/** Splits s3://bucket/prefix into bucket and the key of `file` under the prefix. */
function s3Location(source: string, file: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(source);
  if (!match || !match[1]) throw new Error(`${source} is not an s3://bucket/prefix location.`);
  const prefix = match[2]!.replace(/\/+$/, "");
  return { bucket: match[1], key: prefix ? `${prefix}/${file}` : file };
}

/** Gets `file` under s3://bucket/prefix; undefined when absent. `signal` aborts it (resolveModelSource's deadlines). */
export async function fetchS3File(source: string, file: string, signal?: AbortSignal): Promise<RemoteFile | undefined> {
  const { bucket, key } = s3Location(source, file);
  try {
    const object = await s3Client().send(new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: "ENABLED" }), signal ? { abortSignal: signal } : {});
    const etag = object.ETag?.replace(/"/g, "");
    return {
      body: object.Body as Readable,
      ...(object.ContentLength !== undefined ? { bytes: object.ContentLength } : {}),
      // A multipart checksum ends in "-<parts>" and is not the file's own SHA-256.
      ...(object.ChecksumSHA256 && !object.ChecksumSHA256.includes("-") ? { sha256Base64: object.ChecksumSHA256 } : {}),
      ...(etag && /^[0-9a-f]{32}$/.test(etag) ? { md5Hex: etag } : {}),
    };
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (error instanceof NoSuchKey || (error as { name?: string }).name === "NoSuchKey") return undefined;
    throw new Error(
      `Could not read s3://${bucket}/${key}: ${(error as Error).message}. Check the bucket, the prefix and the credentials (AWS_PROFILE, IRSA or instance role).`,
      { cause: error },
    );
  }
}

/** The names of the "subdirectories" directly under an s3://bucket/prefix (common prefixes with delimiter "/"). */
export async function listS3Subdirectories(source: string): Promise<string[]> {
  const { bucket, key } = s3Location(source, "");
  const names: string[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await s3Client().send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: key, Delimiter: "/", ...(token ? { ContinuationToken: token } : {}) }),
      );
      for (const common of page.CommonPrefixes ?? []) if (common.Prefix) names.push(common.Prefix.slice(key.length).replace(/\/$/, ""));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } catch (error) {
    throw new Error(
      `Could not list s3://${bucket}/${key}: ${(error as Error).message}. Check the bucket, the prefix and the credentials (AWS_PROFILE, IRSA or instance role).`,
      { cause: error },
    );
  }
  return names;
}

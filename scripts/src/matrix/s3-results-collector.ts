import { GetObjectCommand, ListObjectsV2Command, S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { parseResultFiles, parseS3Uri, type ResultsCollector } from "./results-collector.js";

/** Production ResultsCollector: lists the run's prefix and reads every .json object (default AWS credential chain). */
export function s3ResultsCollector(clientConfig: S3ClientConfig = {}): ResultsCollector {
  const client = new S3Client(clientConfig);
  return {
    async collect(resultsUri) {
      const { bucket, prefix } = parseS3Uri(resultsUri);
      const keys: string[] = [];
      let continuationToken: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: continuationToken }));
        for (const object of page.Contents ?? []) if (object.Key?.endsWith(".json")) keys.push(object.Key);
        continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (continuationToken);
      const files = await Promise.all(
        keys.sort().map(async (key) => {
          const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          return { key, body: (await object.Body?.transformToString("utf8")) ?? "" };
        }),
      );
      return parseResultFiles(files, resultsUri);
    },
  };
}

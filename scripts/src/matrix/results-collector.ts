import { parseResult, type LoadTestResult } from "@inference-fleet/load-test";

/** Fetches the result files one load-test run wrote; injected so the matrix is tested without S3. */
export interface ResultsCollector {
  /** Every result file under `resultsUri` (one per k6 pod), validated. */
  collect(resultsUri: string): Promise<LoadTestResult[]>;
}

/** Splits "s3://bucket/some/prefix/" into bucket and key prefix; anything else is an error that says what is expected. */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new Error(`Results location "${uri}" is not an s3://bucket/prefix URI: check the stack's resultsUri output.`);
  return { bucket: match[1]!, prefix: match[2]! };
}

/** Parses every JSON document as a results file, naming the object that is not one. */
export function parseResultFiles(files: readonly { key: string; body: string }[], resultsUri: string): LoadTestResult[] {
  if (files.length === 0) {
    throw new Error(`No result files under ${resultsUri}: the load-test pods wrote nothing (check the Job's logs with kubectl logs).`);
  }
  return files.map(({ key, body }) => {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new Error(`${key} under ${resultsUri} is not JSON.`);
    }
    return parseResult(json, key);
  });
}

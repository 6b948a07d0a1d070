/** The account and role of an STS assumed-role session ARN (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION), or undefined for any other ARN. */
export function parseAssumedRoleArn(arn: string): { readonly account: string; readonly role: string } | undefined {
  const match = /^arn:aws[a-z-]*:sts::(\d{12}):assumed-role\/([^/]+)\//.exec(arn);
  return match ? { account: match[1]!, role: match[2]! } : undefined;
}

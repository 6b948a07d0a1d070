import { hello } from "@inference-fleet/fleet-config";
export async function main(argv: string[]): Promise<number> { console.log(hello(), argv); return 0; }

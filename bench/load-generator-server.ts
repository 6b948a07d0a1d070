// The bench's server process: the load-test package's delay server on a port given by argv.
// Usage: PORT=<port> node --import tsx bench/load-generator-server.ts <delayMs>; prints the URL when listening.
import { startDelayServer } from "@inference-fleet/load-test";

const server = await startDelayServer({ delayMs: Number(process.argv[2] ?? 0), port: Number(process.env["PORT"] ?? 0) });
console.log(server.url);
process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));

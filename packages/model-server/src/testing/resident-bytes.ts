import type { ServerProcess } from "../process/server-process.js";

/** The process's resident memory as its own /metrics reports it. */
export async function residentBytes(server: Pick<ServerProcess, "url">): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^model_server_process_resident_memory_bytes (\d+)/m.exec(text)![1]);
}

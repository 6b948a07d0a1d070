// Each candidate's measurement, saved as soon as it completes under .cache/recommend/<key>/, so a search that
// stopped (Ctrl-C, a failed `pulumi up`, the budget) goes on where it was. The key is everything a measurement
// depends on: where it ran (this machine's CPU, or AWS), the candidate's whole config (the model at its commit,
// server settings, instance type, SLO, capacity search) and the servers' versions; not the rate to size for,
// which only the sizing reads. Another model commit or server version is another key: measured again.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FleetConfig } from "@inference-fleet/fleet-config";
import { readResultFiles, type LoadTestResult } from "@inference-fleet/load-test";

export interface CachedMeasurement {
  readonly result: LoadTestResult;
  /** Seconds the measurement took (servers or stack up to down). */
  readonly seconds: number;
  /** What it cost while it ran (AWS: the stack's $/h over those seconds; local: 0). */
  readonly usd: number;
  readonly measuredAt: string;
}

/** The versions of the servers that answer the load (model-server, neuron-server), from their package.json. */
export function serverVersions(repoRoot: string): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const name of ["model-server", "neuron-server"]) {
    const file = path.join(repoRoot, "packages", name, "package.json");
    versions[name] = existsSync(file) ? String((JSON.parse(readFileSync(file, "utf8")) as { version?: string }).version) : "absent";
  }
  return versions;
}

/** This machine, as far as a local measurement depends on it. */
export function localMachine(): string {
  const cpus = os.cpus();
  return `${os.arch()} ${cpus.length} x ${cpus[0]?.model ?? "unknown CPU"}`;
}

export function measurementKey(config: FleetConfig, where: string, versions: Record<string, string>): string {
  const { stack: _stack, loadTest, ...rest } = config;
  const { sizing: _sizing, ...measured } = loadTest;
  const inputs = JSON.stringify({ where, versions, config: { ...rest, loadTest: measured } });
  return createHash("sha256").update(inputs).digest("hex").slice(0, 20);
}

export class MeasurementCache {
  constructor(readonly dir: string) {}

  private folder(key: string): string {
    return path.join(this.dir, key);
  }

  async read(key: string): Promise<CachedMeasurement | undefined> {
    const meta = path.join(this.folder(key), "measurement.json");
    const results = path.join(this.folder(key), "results.json");
    if (!existsSync(meta) || !existsSync(results)) return undefined;
    try {
      const [result] = await readResultFiles([results]);
      const facts = JSON.parse(readFileSync(meta, "utf8")) as Omit<CachedMeasurement, "result">;
      return { ...facts, result: result! };
    } catch {
      // A half-written or older folder: measured again, and written over.
      return undefined;
    }
  }

  /** Writes results.json, then measurement.json last (each by rename): a folder with both is a finished measurement. */
  write(key: string, measurement: CachedMeasurement, label: string): string {
    const folder = this.folder(key);
    mkdirSync(folder, { recursive: true });
    const put = (name: string, value: unknown) => {
      const file = path.join(folder, name);
      writeFileSync(`${file}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
      renameSync(`${file}.tmp`, file);
    };
    const { result, ...facts } = measurement;
    put("results.json", result);
    put("measurement.json", { ...facts, label });
    return folder;
  }
}

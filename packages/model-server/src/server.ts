import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Hono } from "hono";
import { pino, type Logger } from "pino";
import { describeConcurrency, serverConcurrency, type Concurrency } from "./config/concurrency.js";
import { readCpuBudget, type CpuBudget } from "./config/cpu-budget.js";
import type { ServerSettings } from "./config/settings.js";
import { batchQueueOptions, fetchTimeouts } from "./config/settings-options.js";
import { createApp, metricsHandler, type ServerState } from "./http/app.js";
import { AbandonedBodies } from "./http/abandoned-bodies.js";
import { BodyBudget } from "./http/body-budget.js";
import { refuseBodyOnBodilessMethods } from "./http/bodiless-methods.js";
import { createHealthApp } from "./http/health-app.js";
import { closeWithin, listen, type ListenerLimits } from "./http/listener.js";
import { ServerMetrics } from "./http/server-metrics.js";
import type { SessionFactory } from "./inference/model-session.js";
import { withOrtFormatCache } from "./inference/ort-format-cache.js";
import { sessionFactory } from "./inference/worker-sessions.js";
import { loadModelCopies, type StaticModelRegistry } from "./model/model-registry.js";
import type { ModelRepository } from "./model/repository/model-repository.js";
import { resolveModelSource } from "./model/fetch/fetch-model-dir.js";
import { openModelRepository } from "./model/repository/open-repository.js";

export interface RunningServer {
  /** http://host:port of the public listener. */
  readonly url: string;
  readonly port: number;
  readonly metricsUrl?: string;
  readonly state: ServerState;
  readonly registry: StaticModelRegistry | ModelRepository;
  readonly metrics: ServerMetrics;
  /** Readiness false at once, in-flight requests finish, listeners close; resolves true if it drained in time. */
  drain(timeoutMs?: number): Promise<boolean>;
}

/**
 * Probes open a connection each; a few hundred at once is already far more than kubelet sends. At the cap
 * the probe port closes its longest-idle connection rather than refusing the new one (listener.ts).
 */
const HEALTH_CONNECTIONS = 256;
/** kubelet sends its probe's request as soon as it connects: a probe-port connection silent this long is not a probe. */
const HEALTH_HEADERS_TIMEOUT_MS = 2000;

/** Settings with the workers and threads this server really runs (see serverConcurrency). */
type EffectiveSettings = ServerSettings & Concurrency;

/** The models this server serves: the repository's shard (lazily), or numModels copies of one model. */
async function openRegistry(
  settings: EffectiveSettings,
  metrics: ServerMetrics,
  logger: Logger,
  sessions: SessionFactory,
): Promise<{ registry: StaticModelRegistry | ModelRepository; dir: string }> {
  const { modelRepo } = settings;
  if (modelRepo !== undefined) return { registry: await openModelRepository({ ...settings, modelRepo }, metrics, logger, sessions), dir: modelRepo };
  const dir = await resolveModelSource(settings.modelSource, settings.cacheDir, (message) => logger.info(message), undefined, fetchTimeouts(settings));
  const registry = await loadModelCopies({
    dir,
    numModels: settings.numModels,
    separateSessions: settings.separateSessions,
    padding: settings.padding,
    ...(settings.maxSeqLength !== undefined ? { maxSeqLength: settings.maxSeqLength } : {}),
    threads: settings.threads,
    executionProviders: settings.executionProviders,
    queue: batchQueueOptions(settings),
    onBatch: (session, size, seconds) => metrics.observeBatch(session, size, seconds),
    onLoaded: (model, seconds) => metrics.observeModelLoad(model, seconds),
    warn: (message) => logger.warn(message),
    sessions,
  });
  return { registry, dir };
}

/** What each session really runs on, for the ready line: {"shared": "cpu"}, or per provider in repository mode. */
function providersInUse(registry: StaticModelRegistry | ModelRepository): Record<string, string> | string {
  if ("residentBytes" in registry) return "chosen per model on load (see model_server_session_info)";
  return Object.fromEntries(registry.sessionProviders().map(({ session, executionProvider }) => [session, executionProvider]));
}

/** The inference sessions; a worker that stops makes the server unready, and onFatal hears of it. */
function openSessions(settings: ServerSettings, inferenceWorkers: number, state: ServerState, logger: Logger, onFatal: (error: Error) => void): SessionFactory {
  const onWorkerExit = (error: Error) => {
    state.draining = true;
    logger.error({ err: error }, "an inference worker stopped; this server can no longer answer");
    onFatal(error);
  };
  const inner = sessionFactory(inferenceWorkers, onWorkerExit);
  // Repository mode loads models all the time: from converted ORT-format files, in milliseconds.
  return settings.modelRepo === undefined ? inner : withOrtFormatCache(inner, join(settings.cacheDir, "ort-format"), onWorkerExit);
}

/** Metrics that read the registry when scraped, once it is open (zeros before). */
function metricsOf(registry: () => StaticModelRegistry | ModelRepository | undefined): ServerMetrics {
  return new ServerMetrics(
    () => registry()?.queueDepths() ?? [],
    () => {
      const opened = registry();
      return opened && "residentBytes" in opened ? { models: opened.residentCount, bytes: opened.residentBytes } : { models: 0, bytes: 0 };
    },
    () => registry()?.sessionProviders() ?? [],
  );
}

/**
 * The probe port, when healthPort is set. It listens before the models load: liveness answers from process start,
 * while readiness (and so the startup probe) stays 503 until the models are loaded.
 */
async function listenForProbes(
  settings: ServerSettings,
  limits: ListenerLimits,
  state: ServerState,
  ready: () => boolean,
  logger: Logger,
): Promise<Server | undefined> {
  if (settings.healthPort === undefined) return undefined;
  const healthApp = createHealthApp({ ready }, state);
  const probeLimits = { ...limits, headersTimeoutMs: Math.min(limits.headersTimeoutMs, HEALTH_HEADERS_TIMEOUT_MS), maxConnections: HEALTH_CONNECTIONS };
  const server = await listen(healthApp.fetch, settings.healthPort, settings.host, probeLimits, logger, "evict-idle");
  logger.info({ healthPort: settings.healthPort }, "probe port listening; readiness stays false until the models are loaded");
  return server;
}

function createServingApp(
  settings: ServerSettings,
  registry: StaticModelRegistry | ModelRepository,
  metrics: ServerMetrics,
  state: ServerState,
  logger: Logger,
) {
  const abandoned = new AbandonedBodies();
  return createApp({
    registry,
    metrics,
    state,
    postprocess: settings.postprocess,
    maxBodyBytes: settings.maxBodyBytes,
    bodyBudget: new BodyBudget(settings.maxBodyBytesInFlight),
    exposeMetrics: settings.metricsPort === undefined,
    errorLog: logger,
    ...(settings.quiet ? {} : { requestLog: logger }),
    onBodyAbandoned: (bytes) => abandoned.note(bytes),
  });
}

/**
 * The public listener, put first in `servers`, and /metrics on a port of its own when metricsPort is set (added to
 * `servers` too, and returned).
 */
async function listenForRequests(
  settings: ServerSettings,
  app: ReturnType<typeof createApp>,
  metrics: ServerMetrics,
  limits: ListenerLimits,
  logger: Logger,
  servers: Server[],
): Promise<Server | undefined> {
  // unshift: servers[0] is the public listener, whether or not the probe port opened before it.
  servers.unshift(await listen(app.fetch, settings.port, settings.host, limits, logger));
  if (settings.metricsPort === undefined) return undefined;
  const metricsApp = new Hono().use(refuseBodyOnBodilessMethods()).get("/metrics", metricsHandler(metrics));
  const metricsServer = await listen(metricsApp.fetch, settings.metricsPort, settings.metricsHost, limits, logger);
  servers.push(metricsServer);
  return metricsServer;
}

interface Listening {
  readonly servers: Server[];
  readonly metricsServer: Server | undefined;
  readonly state: ServerState;
  readonly registry: StaticModelRegistry | ModelRepository;
  readonly metrics: ServerMetrics;
  readonly sessions: SessionFactory;
}

function runningServer(settings: ServerSettings, { servers, metricsServer, state, registry, metrics, sessions }: Listening): RunningServer {
  const address = (server: Server) => server.address() as AddressInfo;
  const port = address(servers[0]!).port;
  const urlHost = settings.host === "0.0.0.0" || settings.host === "::" ? "127.0.0.1" : settings.host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    ...(metricsServer ? { metricsUrl: `http://${settings.metricsHost}:${address(metricsServer).port}/metrics` } : {}),
    state,
    registry,
    metrics,
    async drain(timeoutMs = settings.drainTimeoutMs) {
      state.draining = true;
      const drained = await Promise.all(servers.map((server) => closeWithin(server, timeoutMs)));
      await registry.close();
      await sessions.close();
      return drained.every(Boolean);
    },
  };
}

function logReady(logger: Logger, running: RunningServer, settings: ServerSettings, concurrency: Concurrency, dir: string): void {
  logger.info(
    {
      url: running.url,
      metrics: running.metricsUrl ?? `${running.url}/metrics`,
      models: running.registry.names().length,
      dir,
      separateSessions: settings.separateSessions,
      maxBatch: settings.maxBatch,
      padding: settings.padding,
      ...concurrency,
      requestedExecutionProviders: settings.executionProviders,
      executionProviders: providersInUse(running.registry),
    },
    "model server ready",
  );
}

/**
 * In repository mode (modelRepo set), lists the repository and serves this server's shard lazily.
 * Otherwise fetches the model if it is remote, loads numModels copies, and serves the HTTP API (plus /metrics
 * on a port of its own when metricsPort is set). Throws ModelLoadError naming the file on a bad model.
 * Workers and threads not set come from the CPU budget (`cpuBudget`, read from the cgroup by default).
 * `onFatal` hears of an inference worker that stopped (its sessions are gone; readiness is already false).
 */
export async function startServer(
  settings: ServerSettings,
  logger: Logger = pino({ base: undefined }),
  onFatal: (error: Error) => void = () => {},
  cpuBudget: CpuBudget = readCpuBudget(),
): Promise<RunningServer> {
  const state: ServerState = { draining: false };
  const concurrency = serverConcurrency(settings, cpuBudget);
  const effective: EffectiveSettings = { ...settings, ...concurrency };
  const explicit = { threads: settings.threads !== undefined, inferenceWorkers: settings.inferenceWorkers !== undefined };
  logger.info({ cpuBudget, ...concurrency }, describeConcurrency(cpuBudget, concurrency, explicit));
  const sessions = openSessions(settings, concurrency.inferenceWorkers, state, logger, onFatal);
  let registry: StaticModelRegistry | ModelRepository | undefined;
  const metrics = metricsOf(() => registry);
  const { headersTimeoutMs, bodyTimeoutMs, maxConnections } = settings;
  const limits: ListenerLimits = { headersTimeoutMs, bodyTimeoutMs, maxConnections };
  const servers: Server[] = [];
  try {
    const probes = await listenForProbes(settings, limits, state, () => registry !== undefined && registry.ready(), logger);
    if (probes) servers.push(probes);
  } catch (error) {
    await sessions.close();
    throw error;
  }
  let dir: string;
  try {
    ({ registry, dir } = await openRegistry(effective, metrics, logger, sessions));
  } catch (error) {
    servers.forEach((server) => server.close());
    await sessions.close();
    throw error;
  }
  let metricsServer: Server | undefined;
  try {
    metricsServer = await listenForRequests(settings, createServingApp(settings, registry, metrics, state, logger), metrics, limits, logger, servers);
  } catch (error) {
    servers.forEach((server) => server.close());
    await registry.close();
    await sessions.close();
    throw error;
  }
  const running = runningServer(settings, { servers, metricsServer, state, registry, metrics, sessions });
  logReady(logger, running, settings, concurrency, dir);
  return running;
}

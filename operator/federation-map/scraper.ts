// Reads every McpServer's gateways' /metrics once per interval, a few at a time, and keeps for
// each gateway only its last two samples (the rates need two). Bounded: at most maxServers
// servers per round (the rest are shown without figures, saying why), each read under a timeout
// and a size cap, and nothing is kept for a server or gateway once it is gone.
import type { McpServer } from '../../src/api/index.js';
import type { Logger } from '../../src/observability/logger.js';
import { serverFigures, type EdgeFigures, type NodeFigures } from './figures.js';
import { sampleFromMetrics, type GatewaySample } from './gateway-sample.js';
import { readMetricsText, type ReadLimits } from './read-metrics.js';

/** Where a server's gateways serve /metrics: one URL per gateway (or one Service for all). */
export type GatewayMetricsUrls = (server: McpServer) => string[];

export type ScrapeState = 'ok' | 'partial' | 'failed' | 'skipped' | 'no_gateway';

export interface ServerScrape {
  state: ScrapeState;
  /** Why it is not ok: the first failure, or why it was not read. */
  detail?: string;
  /** Gateways read / gateways known. */
  answered: number;
  gateways: number;
  /** When the round that produced this ended (ms since the epoch). */
  at: number;
  node?: NodeFigures;
  /** By target id, as the gateway labels it. */
  targets?: Map<string, EdgeFigures>;
}

export interface ScraperOptions {
  servers: () => McpServer[];
  metricsUrls: GatewayMetricsUrls;
  intervalMs: number;
  timeoutMs: number;
  maxServers: number;
  /** Gateways read at the same time. */
  concurrency?: number;
  /** Gateways read per server at most (replicas beyond it are left out). */
  maxGatewaysPerServer?: number;
  maxBytes?: number;
  /** Called after every round. */
  onRound?: () => void;
  logger?: Logger;
  now?: () => number;
}

export const DEFAULT_MAX_METRICS_BYTES = 4 * 1024 * 1024;

const keyOf = (server: McpServer) => `${server.metadata.namespace ?? 'default'}/${server.metadata.name}`;

/** Runs `work` over `items` with at most `limit` running at once. */
async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export class GatewayScraper {
  private results = new Map<string, ServerScrape>();
  /** The last sample of each gateway URL read in the previous round. */
  private previous = new Map<string, GatewaySample>();
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly now: () => number;
  private readonly limits: ReadLimits;

  constructor(private readonly options: ScraperOptions) {
    this.now = options.now ?? Date.now;
    this.limits = { timeoutMs: options.timeoutMs, maxBytes: options.maxBytes ?? DEFAULT_MAX_METRICS_BYTES };
  }

  /** The figures of the last round for one server (namespace/name). */
  scrape(key: string): ServerScrape | undefined {
    return this.results.get(key);
  }

  start(): void {
    this.loop ??= (async () => {
      while (!this.stopping.signal.aborted) {
        await this.round().catch((error: unknown) => this.options.logger?.warn({ err: error }, 'federation map: a scrape round failed'));
        await this.pause();
      }
    })();
  }

  /** Waits one interval, or less when stopped; leaves no listener behind. */
  private pause(): Promise<void> {
    const signal = this.stopping.signal;
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, this.options.intervalMs);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  /** One pass over the servers (start() runs these every interval). */
  async round(): Promise<void> {
    const servers = this.options.servers().sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
    const chosen = servers.slice(0, this.options.maxServers);
    const maxGateways = this.options.maxGatewaysPerServer ?? 32;
    const reads: { key: string; url: string }[] = [];
    const known = new Map<string, number>();
    for (const server of chosen) {
      const urls = [...new Set(this.options.metricsUrls(server))];
      known.set(keyOf(server), urls.length);
      for (const url of urls.slice(0, maxGateways)) reads.push({ key: keyOf(server), url });
    }

    const samples = new Map<string, GatewaySample>();
    const failures = new Map<string, string>();
    await eachLimited(reads, this.options.concurrency ?? 8, async ({ url }) => {
      try {
        const text = await readMetricsText(url, this.limits, this.stopping.signal);
        samples.set(url, sampleFromMetrics(text, this.now()));
      } catch (error) {
        failures.set(url, (error as Error).message);
      }
    });
    if (this.stopping.signal.aborted) return;

    const at = this.now();
    const results = new Map<string, ServerScrape>();
    for (const server of chosen) {
      const key = keyOf(server);
      const urls = reads.filter((read) => read.key === key).map((read) => read.url);
      const gateways = known.get(key) ?? 0;
      if (urls.length === 0) {
        results.set(key, { state: 'no_gateway', detail: 'no gateway address known yet', answered: 0, gateways: 0, at });
        continue;
      }
      const pairs = urls.flatMap((url) => {
        const current = samples.get(url);
        return current ? [{ current, previous: this.previous.get(url) }] : [];
      });
      const firstFailure = urls.map((url) => failures.get(url)).find((message) => message !== undefined);
      const figures = serverFigures(pairs);
      const state: ScrapeState = pairs.length === 0 ? 'failed' : pairs.length < gateways ? 'partial' : 'ok';
      const detail =
        firstFailure ?? (gateways > urls.length ? `${gateways - urls.length} gateway(s) over the ${maxGateways} read per server` : undefined);
      results.set(key, {
        state,
        ...(detail ? { detail } : {}),
        answered: pairs.length,
        gateways,
        at,
        ...(figures ? { node: figures.node, targets: figures.targets } : {}),
      });
    }
    for (const server of servers.slice(this.options.maxServers)) {
      results.set(keyOf(server), {
        state: 'skipped',
        detail: `not read: more than MAP_MAX_SERVERS (${this.options.maxServers}) servers`,
        answered: 0,
        gateways: 0,
        at,
      });
    }
    // Only this round's samples are kept: a gateway that failed or is gone starts its rates afresh.
    this.previous = samples;
    this.results = results;
    this.options.onRound?.();
  }
}

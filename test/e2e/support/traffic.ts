// Producing events into a gateway and reading its metrics, for end-to-end tests.
import type { GatewayProcess } from './gateway-process.js';

export const testEvent = (id: string, type = 'load.test', extra: Record<string, unknown> = {}) => ({
  event_id: id,
  event_type: type,
  source: 'e2e',
  data: JSON.stringify({ id }),
  ...extra,
});

/** Posts `ids` in batches, retrying batches answered 429/503 after a pause; returns accepted ids. */
export async function produce(gateway: GatewayProcess, ids: string[], options: { batch?: number; type?: string } = {}): Promise<string[]> {
  const size = options.batch ?? 100;
  const accepted: string[] = [];
  for (let i = 0; i < ids.length; i += size) {
    const chunk = ids.slice(i, i + size);
    for (let tries = 0; ; tries++) {
      const response = await fetch(`${gateway.httpUrl}/api/v1/events/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(chunk.map((id) => testEvent(id, options.type))),
      });
      if (response.status === 200) {
        await response.arrayBuffer();
        accepted.push(...chunk);
        break;
      }
      const text = await response.text();
      if ((response.status !== 429 && response.status !== 503) || tries > 200) throw new Error(`batch refused: ${response.status} ${text}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  return accepted;
}

/** The sum of the series of `name` whose labels include `labels`, from /metrics; 0 when none. */
export async function metric(gateway: GatewayProcess, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${gateway.healthUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const set = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => set[k] === v)) sum += Number(match[3]);
  }
  return sum;
}

export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not reached in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface DeadLetterView {
  id: string;
  reason: string;
  target: string;
  attempts: number;
  lastStatus?: string;
  event: { event_id: string };
}

export async function deadLetters(gateway: GatewayProcess, limit = 1000): Promise<DeadLetterView[]> {
  const response = await fetch(`${gateway.httpUrl}/api/v1/dlq?limit=${limit}`);
  return ((await response.json()) as { letters: DeadLetterView[] }).letters;
}

/** Waits until the gateway counts at least `count` open gRPC streams: a stream is only live once
 * the server has registered it, which a client cannot see from its side. */
export async function streamsOpen(gateway: GatewayProcess, count: number, timeoutMs = 10_000): Promise<void> {
  await eventually(
    async () => (await metric(gateway, 'tas_mcp_active_connections', { type: 'grpc_stream' })) >= count,
    timeoutMs,
    `${count} open streams`,
  );
}

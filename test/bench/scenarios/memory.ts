// Scenario 3: gateway memory, RSS idle and with 1,000 open StreamEvents streams (no traffic),
// each read after a settling pause; the difference over 1,000 is the cost of one stream.
import { startGateway } from '../lib/gateway.js';
import { settledRss } from '../lib/processes.js';
import type { Row } from '../lib/report.js';
import { startSubscribers } from '../lib/workers.js';

export interface MemoryOptions {
  streams: number;
  channels: number;
  settleMs: number;
}

export async function memory(options: MemoryOptions, log: (line: string) => void): Promise<{ rows: Row[]; raw: object }> {
  const gateway = await startGateway({ env: { MAX_CONNECTIONS: String(options.streams + 100) } });
  try {
    const idle = await settledRss(gateway.pid, options.settleMs);
    const subscribers = await startSubscribers(gateway, options.streams, options.channels);
    const loaded = await settledRss(gateway.pid, options.settleMs);
    await subscribers.close();
    const perStream = (loaded - idle) / options.streams;
    log(`  RSS idle ${(idle / 2 ** 20).toFixed(1)} MiB, with ${options.streams} streams ${(loaded / 2 ** 20).toFixed(1)} MiB`);
    const scenario = 'memory';
    const rows: Row[] = [
      { scenario, metric: 'gateway RSS idle', value: idle / 2 ** 20, unit: 'MiB', verdict: 'info' },
      {
        scenario,
        metric: `gateway RSS, ${options.streams} streams`,
        value: loaded / 2 ** 20,
        unit: 'MiB',
        baseline: idle / 2 ** 20,
        target: `+${((loaded - idle) / 2 ** 20).toFixed(1)} MiB`,
        verdict: 'info',
      },
      {
        scenario,
        metric: 'RSS per stream',
        value: perStream / 1024,
        unit: 'KiB',
        target: `(RSS_${options.streams} - idle) / ${options.streams}`,
        verdict: 'info',
        note: `${options.channels} client connections; RSS is the median of 5 reads after ${options.settleMs} ms settling (no forced GC: the gateway does not expose one)`,
      },
    ];
    return { rows, raw: { idle, loaded, perStream, streams: options.streams, channels: options.channels } };
  } finally {
    await gateway.stop();
  }
}

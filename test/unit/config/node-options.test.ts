import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gatewayNodeOptions } from '../../../src/config/node-options.js';
import { PROJECT_ROOT } from '../../../src/paths.js';

describe('gatewayNodeOptions', () => {
  it('without limits: two V8 worker threads, the heap left to V8', () => {
    expect(gatewayNodeOptions()).toEqual(['--v8-pool-size=2']);
  });

  it('sizes the V8 threads to the CPU limit (rounded up, at most 4) and the old generation to 3/4 of the memory limit', () => {
    expect(gatewayNodeOptions({ cpu: 0.5, memoryBytes: 256 * 2 ** 20 })).toEqual(['--v8-pool-size=1', '--max-old-space-size=192']);
    expect(gatewayNodeOptions({ cpu: 2.5 })).toContain('--v8-pool-size=3');
    expect(gatewayNodeOptions({ cpu: 16 })).toContain('--v8-pool-size=4');
    expect(gatewayNodeOptions({ memoryBytes: 2 ** 30 })).toContain('--max-old-space-size=768');
    expect(gatewayNodeOptions({ memoryBytes: 8 * 2 ** 20 })).toContain('--max-old-space-size=16');
  });

  it('are the settings the image and `make gateway` start the gateway with', () => {
    const defaults = gatewayNodeOptions().join(' ');
    expect(readFileSync(join(PROJECT_ROOT, 'Dockerfile'), 'utf8')).toContain(`ENV NODE_OPTIONS="${defaults}"`);
    expect(readFileSync(join(PROJECT_ROOT, 'Makefile'), 'utf8')).toContain(`GATEWAY_NODE_OPTIONS ?= ${defaults}\n`);
  });

  it('are accepted by node in NODE_OPTIONS', async () => {
    const { execFileSync } = await import('node:child_process');
    const options = gatewayNodeOptions({ cpu: 1, memoryBytes: 512 * 2 ** 20 }).join(' ');
    const heapLimit = execFileSync(process.execPath, ['-e', "process.stdout.write(String(require('v8').getHeapStatistics().heap_size_limit))"], {
      env: { ...process.env, NODE_OPTIONS: options },
      encoding: 'utf8',
    });
    // 384 MiB of old generation plus the young generation.
    expect(Number(heapLimit) / 2 ** 20).toBeGreaterThanOrEqual(384);
    expect(Number(heapLimit) / 2 ** 20).toBeLessThan(450);
  });
});

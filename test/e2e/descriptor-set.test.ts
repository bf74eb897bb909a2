// proto/descriptor-set.binpb (served over reflection) is what buf compiles from proto/ today:
// regenerated into a temp dir with the same script `make descriptor-set` runs, byte for byte.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { DESCRIPTOR_SET_PATH } from '../../gateway/ingress/grpc/reflection.js';
import { binPath, repoRoot } from '../harness/index.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'tas-mcp-descriptors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('proto/descriptor-set.binpb', () => {
  it('is what buf compiles from proto/ (run make descriptor-set after changing a .proto)', async () => {
    const fresh = join(dir, 'descriptor-set.binpb');
    await run('bash', [join(repoRoot(), 'test', 'cluster', 'proto-tools', 'descriptor-set.sh'), fresh], {
      env: { ...process.env, TAS_PROTO_TOOLS_BIN_DIR: dirname(binPath('buf')) },
      timeout: 60_000,
    });
    const committed = readFileSync(DESCRIPTOR_SET_PATH);
    expect(committed.length).toBeGreaterThan(1000);
    expect(Buffer.compare(readFileSync(fresh), committed), 'proto/descriptor-set.binpb is stale: run make descriptor-set').toBe(0);
  }, 120_000);
});

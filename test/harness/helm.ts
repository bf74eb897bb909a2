// The helm binary the chart tests run: component `helm` of test/cluster/build.sh (built from
// helm.sh/helm/v4 on the Go module proxy and cached), or $TAS_HELM_BIN_DIR/helm.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from './binaries.js';

let cached: string | undefined;

export function helmPath(): string {
  if (cached) return cached;
  const fromEnv = process.env.TAS_HELM_BIN_DIR;
  let dir: string;
  if (fromEnv) {
    dir = resolve(fromEnv);
  } else {
    const result = spawnSync('bash', [join(repoRoot(), 'test', 'cluster', 'build.sh'), 'helm'], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`bash test/cluster/build.sh helm failed (exit ${result.status ?? result.signal})`);
    dir = result.stdout.trim().split('\n').pop() ?? '';
  }
  const path = join(dir, 'helm');
  if (!existsSync(path)) throw new Error(`no helm at ${path} (set TAS_HELM_BIN_DIR or run: bash test/cluster/build.sh helm)`);
  cached = path;
  return path;
}

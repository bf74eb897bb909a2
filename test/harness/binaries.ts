// Finds the control-plane binaries: $TAS_CLUSTER_BIN_DIR if set, otherwise whatever
// `bash test/cluster/build.sh` prints as its last stdout line (a cache hit takes well under a second;
// a cold build compiles everything first).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'] as const;
export type Binary = (typeof BINARIES)[number];

/** The repository root (works from test/harness/*.ts and from dist/test/harness/*.js). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'test', 'cluster', 'build.sh')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository root (test/cluster/build.sh)');
    dir = parent;
  }
}

let cachedBinDir: string | undefined;

export function binDir(): string {
  if (cachedBinDir !== undefined) return cachedBinDir;
  const fromEnv = process.env.TAS_CLUSTER_BIN_DIR;
  if (fromEnv !== undefined && fromEnv !== '') {
    cachedBinDir = resolve(fromEnv);
    return cachedBinDir;
  }
  const script = join(repoRoot(), 'test', 'cluster', 'build.sh');
  const result = spawnSync('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`bash test/cluster/build.sh failed (exit ${result.status ?? result.signal ?? result.error?.message})`);
  }
  const last = result.stdout.trim().split('\n').pop() ?? '';
  if (!existsSync(join(last, 'kube-apiserver'))) throw new Error(`build.sh printed no usable bin dir: ${JSON.stringify(last)}`);
  cachedBinDir = last;
  return last;
}

export function binPath(name: Binary): string {
  return join(binDir(), name);
}

/** The pinned Kubernetes release (test/cluster/kubernetes/go.mod), e.g. "v1.36.3". */
export function pinnedKubernetesVersion(): string {
  const goMod = readFileSync(join(repoRoot(), 'test', 'cluster', 'kubernetes', 'go.mod'), 'utf8');
  const match = /^require\s+k8s\.io\/kubernetes\s+(v\S+)/m.exec(goMod) ?? /^\s+k8s\.io\/kubernetes\s+(v\S+)/m.exec(goMod);
  if (match?.[1] === undefined) throw new Error('cannot find k8s.io/kubernetes in test/cluster/kubernetes/go.mod');
  return match[1];
}

// test/cluster/build.sh's component mechanism, on a copy of the script with two tiny components
// (hello-world Go programs, so a build takes seconds): each is cached on its own key, a changed recipe
// rebuilds only its own component, bad names and incomplete recipes are refused by name.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../harness/index.js';

let root: string;

function component(name: string, opts: { version?: number; recipe?: string; main?: string } = {}): void {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'go.mod'), `module example.test/${name}\n\ngo 1.26.0\n`);
  writeFileSync(
    join(dir, 'main.go'),
    opts.main ?? 'package main\n\nimport "fmt"\n\nvar version = "unset"\n\nfunc main() { fmt.Println("' + name + '", version) }\n',
  );
  writeFileSync(
    join(dir, 'recipe.sh'),
    opts.recipe ??
      `
recipe_version=${opts.version ?? 1}
binaries=(${name})
key_inputs=(go.mod main.go recipe.sh)
cache_label() { echo "${name}-v1.0.0"; }
build() { go_build -ldflags "-s -w -X main.version=v1.0.0" -o "$1/${name}" .; }
check() { "$1/${name}" | grep -qx "${name} v1.0.0" && "$1/${name}"; }
`,
  );
}

function build(...args: string[]): { status: number | null; stdout: string; stderr: string; lines: string[] } {
  const result = spawnSync('bash', [join(root, 'build.sh'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, TAS_CLUSTER_CACHE: join(root, 'cache'), CLUSTER_BUILD_JOBS: '1' },
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, lines: result.stdout.trim().split('\n').filter(Boolean) };
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'tas-cluster-build-'));
  copyFileSync(join(repoRoot(), 'test', 'cluster', 'build.sh'), join(root, 'build.sh'));
  component('alpha');
  component('beta');
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('test/cluster/build.sh components', () => {
  it('builds each named component into its own cached bin dir, printed in the order named', () => {
    const first = build('alpha', 'beta');
    expect(first.status, first.stderr).toBe(0);
    expect(first.lines).toHaveLength(2);
    const [alpha, beta] = first.lines as [string, string];
    expect(alpha).toMatch(/\/alpha-v1\.0\.0_go[^/]+_[a-z0-9]+-[a-z0-9]+_[0-9a-f]{12}\/bin$/);
    expect(beta).toContain('/beta-v1.0.0_');
    expect(existsSync(join(alpha, '.complete'))).toBe(true);
    expect(first.stderr).toContain('alpha: built in');
    expect(first.stderr).toContain('alpha v1.0.0'); // the check's output

    const again = build('beta', 'alpha');
    expect(again.status).toBe(0);
    expect(again.lines).toEqual([beta, alpha]);
    expect(again.stderr).toContain('alpha: cached');
    expect(again.stderr).not.toContain('built in');
  }, 180_000);

  it('rebuilds only the component whose recipe changed', () => {
    const [alphaBefore, betaBefore] = build('alpha', 'beta').lines;
    component('alpha', { version: 2 });
    const after = build('alpha', 'beta');
    expect(after.status, after.stderr).toBe(0);
    expect(after.lines[0]).not.toBe(alphaBefore);
    expect(after.lines[1]).toBe(betaBefore);
    expect(after.stderr).toContain('alpha: built in');
    expect(after.stderr).toContain('beta: cached');
    expect(existsSync(alphaBefore!)).toBe(true); // the old key's build is left alone
  }, 180_000);

  it('refuses an unknown component, naming it and the known ones', () => {
    const result = build('gamma');
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/unknown component 'gamma'.*components: alpha beta/);
    expect(result.lines).toEqual([]);
  });

  it('refuses a recipe that lacks part of the interface, naming what is missing', () => {
    component('broken', { recipe: 'recipe_version=1\nbinaries=(broken)\nkey_inputs=(go.mod)\ncache_label() { echo broken; }\nbuild() { :; }\n' });
    const result = build('broken');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('test/cluster/broken/recipe.sh: function check is not defined');
    rmSync(join(root, 'broken'), { recursive: true, force: true });
  });

  it('fails a build that does not compile and leaves no bin dir behind', () => {
    component('bad', { main: 'package main\n\nfunc main() { undefined() }\n' });
    const result = build('bad');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('undefined');
    const cache = join(root, 'cache');
    const dirs = spawnSync('find', [cache, '-path', '*bad-v1.0.0*', '-name', 'bin*'], { encoding: 'utf8' }).stdout.trim();
    expect(dirs).toBe('');
    rmSync(join(root, 'bad'), { recursive: true, force: true });
  }, 120_000);

  it('does not cache a build whose version check fails', () => {
    component('liar', { main: 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("liar dev") }\n' });
    const result = build('liar');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('liar: checking the built binaries');
    expect(result.lines).toEqual([]);
    const dirs = spawnSync('find', [join(root, 'cache'), '-path', '*liar-v1.0.0*', '-name', 'bin*'], { encoding: 'utf8' }).stdout.trim();
    expect(dirs).toBe('');
    rmSync(join(root, 'liar'), { recursive: true, force: true });
  }, 120_000);

  it("lists the repository's components and their binaries", () => {
    const result = spawnSync('bash', [join(repoRoot(), 'test', 'cluster', 'build.sh'), '--binaries'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'control-plane kube-apiserver',
        'control-plane etcd',
        'control-plane kwok',
        'nats nats-server',
        'grpcurl grpcurl',
        'argo argo-check',
        'ghz ghz',
        'proto-tools buf',
        'proto-tools protoc-gen-go',
        'proto-tools protoc-gen-go-grpc',
        'go-client mcp-go-client',
        'jaeger jaeger',
      ]),
    );
  });
});

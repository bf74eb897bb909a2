// What the images ship, checked without Docker (this project's machines have none): the
// production build (tsconfig.build.json) holds the product only, imports only production
// dependencies, and runs laid out as the Dockerfile lays out each image; the Dockerfile copies
// only that output. Not checked here: the base images themselves and `docker build` as such.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, cpSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/paths.js';
import { freePort } from '../harness/ports.js';
import { eventually } from './support/traffic.js';

const work = mkdtempSync(join(tmpdir(), 'tas-mcp-prod-build-'));
const out = join(work, 'dist');
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)]));

beforeAll(() => {
  execFileSync(
    process.execPath,
    [join(PROJECT_ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(PROJECT_ROOT, 'tsconfig.build.json'), '--outDir', out],
    {
      cwd: PROJECT_ROOT,
      stdio: 'pipe',
    },
  );
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The package an import specifier names, or undefined for a relative or built-in one. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]!)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

describe('the production build', () => {
  it('holds the product only: shared code, gateway and operator, no tests, bench, harness or tools', () => {
    const compiled = files(out).map((file) => relative(out, file).split(sep).join('/'));
    const tops = new Set(compiled.map((file) => file.split('/')[0]));
    expect([...tops].sort()).toEqual(['gateway', 'operator', 'src']);
    expect(compiled).toContain('gateway/main.js');
    expect(compiled).toContain('operator/main.js');
    expect(compiled.filter((file) => /(^|\/)(test|tools|bench|local)(\/|$)|\.test\.js$/.test(file))).toEqual([]);
  });

  it('imports nothing but production dependencies and Node built-ins', () => {
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const imported = new Map<string, string>();
    for (const file of files(out).filter((f) => f.endsWith('.js'))) {
      const text = readFileSync(file, 'utf8');
      const specifiers = [
        ...text.matchAll(/^\s*(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]/gm), // import/export ... from 'x'
        ...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm), // import 'x'
        ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g), // import('x')
      ];
      for (const match of specifiers) {
        const name = packageOf(match[1]!);
        if (name) imported.set(name, relative(out, file));
      }
    }
    expect(imported.size).toBeGreaterThan(5);
    const notProduction = [...imported].filter(([name]) => !(name in pkg.dependencies)).map(([name, file]) => `${name} (${file})`);
    expect(notProduction).toEqual([]);
  });

  it('runs the gateway laid out as its image: package.json, proto, dist/src and dist/gateway only', async () => {
    const image = join(work, 'gateway-image');
    mkdirSync(join(image, 'dist'), { recursive: true });
    cpSync(join(PROJECT_ROOT, 'package.json'), join(image, 'package.json'));
    cpSync(join(PROJECT_ROOT, 'proto'), join(image, 'proto'), { recursive: true });
    cpSync(join(out, 'src'), join(image, 'dist/src'), { recursive: true });
    cpSync(join(out, 'gateway'), join(image, 'dist/gateway'), { recursive: true });
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(image, 'node_modules'));
    const health = await freePort();
    const child = spawn(process.execPath, ['dist/gateway/main.js'], {
      cwd: image,
      env: {
        PATH: process.env.PATH,
        HTTP_PORT: String(await freePort()),
        GRPC_PORT: String(await freePort()),
        HEALTH_CHECK_PORT: String(health),
        BIND_HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await eventually(
        async () =>
          child.exitCode !== null ||
          (await fetch(`http://127.0.0.1:${health}/ready`).then(
            (r) => r.ok,
            () => false,
          )),
        30_000,
        'the production gateway to be ready',
      );
      expect(child.exitCode, output).toBeNull();
      const body = (await (await fetch(`http://127.0.0.1:${health}/health`)).json()) as { status: string };
      expect(body.status).toBe('healthy');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('loads the operator laid out as its image (a bad setting stops it with exit 2, naming it)', () => {
    const image = join(work, 'operator-image');
    mkdirSync(join(image, 'dist'), { recursive: true });
    cpSync(join(PROJECT_ROOT, 'package.json'), join(image, 'package.json'));
    cpSync(join(PROJECT_ROOT, 'proto'), join(image, 'proto'), { recursive: true });
    cpSync(join(out, 'src'), join(image, 'dist/src'), { recursive: true });
    cpSync(join(out, 'operator'), join(image, 'dist/operator'), { recursive: true });
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(image, 'node_modules'));
    let status: number | null = 0;
    let stderr = '';
    try {
      execFileSync(process.execPath, ['dist/operator/main.js'], { cwd: image, env: { PATH: process.env.PATH, WORKERS: 'many' }, stdio: 'pipe' });
    } catch (error) {
      status = (error as { status: number | null }).status;
      stderr = String((error as { stderr?: Buffer }).stderr ?? '');
    }
    expect(status).toBe(2);
    expect(stderr).toContain('WORKERS');

    // The federation map finds its page and Cytoscape.js where the Dockerfile puts them.
    cpSync(join(PROJECT_ROOT, 'operator/federation-map/web'), join(image, 'operator/federation-map/web'), { recursive: true });
    const assets = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const { loadMapAssets } = await import('./dist/operator/federation-map/assets.js'); console.log([...loadMapAssets().files.keys()].join(' '))",
      ],
      { cwd: image, env: { PATH: process.env.PATH }, encoding: 'utf8' },
    );
    expect(assets.trim()).toBe('/ /map.js /vendor/cytoscape.esm.min.mjs');
  });
});

describe('the Dockerfile', () => {
  const dockerfile = readFileSync(join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
  const stages = new Map<string, string[]>();
  let current = '';
  for (const line of dockerfile.split('\n').map((l) => l.trim())) {
    const from = /^FROM\s+\S+\s+AS\s+(\S+)/i.exec(line);
    if (from) stages.set((current = from[1]!), []);
    else if (current && line && !line.startsWith('#')) stages.get(current)!.push(line);
  }
  const copies = (stage: string) =>
    (stages.get(stage) ?? [])
      .filter((l) => l.startsWith('COPY'))
      .map((l) => l.split(/\s+/).slice(1))
      .map((args) => ({
        from: args.find((a) => a.startsWith('--from='))?.slice('--from='.length),
        sources: args.filter((a) => !a.startsWith('--')).slice(0, -1),
      }));

  it('builds from the product sources with tsconfig.build.json, and drops devDependencies', () => {
    const sources = copies('build').flatMap((c) => c.sources);
    expect(sources.sort()).toEqual(['gateway', 'operator', 'package-lock.json', 'package.json', 'src', 'tsconfig.build.json', 'tsconfig.json']);
    const run = stages
      .get('build')!
      .filter((l) => l.startsWith('RUN'))
      .join('\n');
    expect(run).toMatch(/tsc -p tsconfig\.build\.json/);
    expect(run).toMatch(/npm prune --omit=dev/);
  });

  it('gives each image its own compiled code and nothing of the other', () => {
    const shipped = (stage: string) => [...copies('runtime'), ...copies(stage)].flatMap((c) => c.sources.map((s) => (c.from ? `build:${s}` : s)));
    expect(shipped('gateway').sort()).toEqual([
      'build:/app/dist/gateway',
      'build:/app/dist/src',
      'build:/app/node_modules',
      'build:/app/package.json',
      'proto',
    ]);
    expect(shipped('operator').sort()).toEqual([
      'build:/app/dist/operator',
      'build:/app/dist/src',
      'build:/app/node_modules',
      'build:/app/package.json',
      'crds',
      'operator/federation-map/web',
      'proto',
    ]);
  });

  it('leaves tests and tools out of the build context', () => {
    const ignored = readFileSync(join(PROJECT_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    for (const path of ['test', 'tools', 'node_modules', 'dist']) expect(ignored).toContain(path);
  });
});

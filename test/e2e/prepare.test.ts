// tools/setup/prepare.sh, behind `make run`, `make test` and `make setup`: a missing prerequisite
// stops it at once with a message naming it and how to get it; a ready clone passes in moments.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/paths.js';

const script = join(PROJECT_ROOT, 'tools/setup/prepare.sh');
const bins = mkdtempSync(join(tmpdir(), 'tas-mcp-prepare-'));
afterAll(() => rmSync(bins, { recursive: true, force: true }));

/** A PATH holding only the named commands (links to the real ones), plus fakes. */
function pathWith(name: string, commands: string[], fakes: Record<string, string> = {}): string {
  const dir = join(bins, name);
  spawnSync('mkdir', ['-p', dir]);
  for (const command of commands) {
    const real = spawnSync('bash', ['-c', `command -v ${command}`], { encoding: 'utf8' }).stdout.trim();
    if (real) symlinkSync(real, join(dir, command));
  }
  for (const [command, body] of Object.entries(fakes)) {
    writeFileSync(join(dir, command), `#!/bin/bash\n${body}\n`);
    chmodSync(join(dir, command), 0o755);
  }
  return dir;
}

const basics = ['bash', 'sort', 'head', 'dirname', 'printf'];
const run = (path: string, ...args: string[]) =>
  spawnSync('bash', [script, ...args], { env: { PATH: path, HOME: process.env.HOME }, encoding: 'utf8', timeout: 60_000 });

describe('prepare.sh', () => {
  it('names every missing prerequisite and how to get it, before doing anything', () => {
    const result = run(pathWith('no-tools', [...basics, 'node', 'npm']));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/go \(>= 1\.26\) is not on PATH[\s\S]*go\.dev\/doc\/install/);
    expect(result.stderr).toMatch(/openssl is not on PATH/);
    expect(result.stderr).toMatch(/kubectl is not on PATH[\s\S]*kubernetes\.io\/docs\/tasks\/tools/);
    expect(result.stderr).not.toContain('npm ci');
  });

  it('refuses a Node older than 20.19, naming its version', () => {
    const result = run(pathWith('old-node', [...basics, 'npm'], { node: 'echo 20.18.1' }), '--node-only');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('node 20.18.1 is too old (>= 20.19 is needed)');
  });

  it('sees a node_modules that is not what package-lock.json pins', () => {
    const check = (cwd: string) => spawnSync(process.execPath, [join(PROJECT_ROOT, 'tools/setup/lockfile-matches.mjs')], { cwd }).status;
    const clone = join(bins, 'clone');
    spawnSync('mkdir', ['-p', join(clone, 'node_modules')]);
    expect(check(clone)).toBe(1); // nothing installed
    const locked = {
      packages: { '': {}, 'node_modules/a': { version: '1.0.0' }, 'node_modules/b-linux': { version: '1.0.0', optional: true, os: ['linux'] } },
    };
    writeFileSync(join(clone, 'package-lock.json'), JSON.stringify(locked));
    writeFileSync(join(clone, 'node_modules/.package-lock.json'), JSON.stringify({ packages: { 'node_modules/a': { version: '1.0.0' } } }));
    expect(check(clone)).toBe(0); // a skipped optional platform package is not missing
    writeFileSync(join(clone, 'node_modules/.package-lock.json'), JSON.stringify({ packages: { 'node_modules/a': { version: '0.9.0' } } }));
    expect(check(clone)).toBe(1);
    writeFileSync(
      join(clone, 'node_modules/.package-lock.json'),
      JSON.stringify({ packages: { 'node_modules/a': { version: '1.0.0' }, 'node_modules/c': { version: '1.0.0' } } }),
    );
    expect(check(clone)).toBe(1);
  });

  it('does nothing on a ready clone but say so', () => {
    const result = run(process.env.PATH!);
    expect(result.stderr).toContain('npm dependencies: up to date');
    expect(result.stderr).toMatch(/binaries ready \(\d+s\)/);
    expect(result.status).toBe(0);
  });
});

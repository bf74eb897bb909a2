import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WatchedFiles, type FileEntry } from '../../../../gateway/files/watched-files.js';

const dirs: string[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'watched-files-'));
  dirs.push(dir);
  return dir;
}
const contents = (entries: FileEntry[]) => entries.map((e) => `${e.name ?? '-'}=${e.content}`).join(',');
const strict = (entries: FileEntry[]) => {
  if (entries.some((e) => e.content.includes('broken'))) throw new Error('broken entry');
  return contents(entries);
};

describe('watched files', () => {
  it('reads files and directories in order, and takes a change of contents on the next poll', () => {
    vi.useFakeTimers();
    const dir = scratch();
    const file = join(dir, 'single');
    const folder = join(dir, 'folder');
    mkdirSync(folder);
    writeFileSync(file, 'one');
    writeFileSync(join(folder, 'b'), 'B');
    writeFileSync(join(folder, 'a'), 'A');
    writeFileSync(join(folder, '.hidden'), 'skipped');
    const reloads: string[] = [];
    const watched = new WatchedFiles({
      paths: [file, folder],
      parse: contents,
      intervalMs: 100,
      onError: () => undefined,
      onReload: (v) => reloads.push(v),
    });
    expect(watched.value).toBe('-=one,a=A,b=B');
    vi.advanceTimersByTime(250);
    expect(reloads).toEqual([]); // unchanged contents are not a change
    writeFileSync(file, 'two');
    vi.advanceTimersByTime(100);
    expect(watched.value).toBe('-=two,a=A,b=B');
    expect(reloads).toEqual(['-=two,a=A,b=B']);
    watched.close();
  });

  it('keeps the last good value through a change that does not parse, and takes the next good one', () => {
    vi.useFakeTimers();
    const file = join(scratch(), 'keys');
    writeFileSync(file, 'good');
    const errors: string[] = [];
    const watched = new WatchedFiles({ paths: [file], parse: strict, intervalMs: 100, onError: (m) => errors.push(m) });
    writeFileSync(file, 'broken');
    vi.advanceTimersByTime(100);
    expect(watched.value).toBe('-=good');
    expect(errors).toEqual([`${file} changed but cannot be used: broken entry`]);
    vi.advanceTimersByTime(300);
    expect(errors).toHaveLength(1); // told once per change, not once per poll
    writeFileSync(file, 'better');
    vi.advanceTimersByTime(100);
    expect(watched.value).toBe('-=better');
    watched.close();
  });

  it('refuses to start on a missing or unusable file, and reports one that disappears later', () => {
    vi.useFakeTimers();
    const dir = scratch();
    expect(() => new WatchedFiles({ paths: [join(dir, 'absent')], parse: contents, intervalMs: 100, onError: () => undefined })).toThrow(/ENOENT/);
    const file = join(dir, 'keys');
    writeFileSync(file, 'broken');
    expect(() => new WatchedFiles({ paths: [file], parse: strict, intervalMs: 100, onError: () => undefined })).toThrow(/broken entry/);
    writeFileSync(file, 'good');
    const errors: string[] = [];
    const watched = new WatchedFiles({ paths: [file], parse: strict, intervalMs: 100, onError: (m) => errors.push(m) });
    rmSync(file);
    vi.advanceTimersByTime(100);
    expect(errors[0]).toMatch(/^cannot read .*keys: ENOENT/);
    expect(watched.value).toBe('-=good');
    watched.close();
  });
});

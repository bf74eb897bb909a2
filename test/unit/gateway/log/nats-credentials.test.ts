// The NATS credentials a gateway reads from its mounted files: what it presents at connect, and a
// clear error naming the setting (never the secret) for a file it cannot use.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { natsAuthenticator, readBasicAuth } from '../../../../gateway/log/jetstream/connection.js';
import { parseConfig } from '../../../../src/config/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tas-mcp-nats-creds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const credentials = (given: Record<string, string>) =>
  parseConfig({ bus: { type: 'jetstream', jetstream: { urls: ['nats://n:4222'], credentials: given } } }).bus.jetstream!.credentials;

describe('NATS credentials from files', () => {
  it('reads an Argo EventBus client-auth file as user and password, each value a string', () => {
    // Argo writes `username: <random>` and `password: <random>`; a value of digits stays as written.
    const path = file('client-auth', 'username: 00123\npassword: "p@ss: word"\n');
    expect(readBasicAuth(path)).toEqual({ username: '00123', password: 'p@ss: word' });
    const auth = natsAuthenticator(credentials({ basicAuthFile: path }))!;
    expect(auth()).toEqual({ user: '00123', pass: 'p@ss: word' });
  });

  it('re-reads the file at every connect, so a rotated Secret is used', () => {
    const path = file('rotating', 'username: one\npassword: first\n');
    const auth = natsAuthenticator(credentials({ basicAuthFile: path }))!;
    writeFileSync(path, 'username: one\npassword: second\n');
    expect(auth()).toEqual({ user: 'one', pass: 'second' });
  });

  it('takes the user name from a file beside the password file', () => {
    const auth = natsAuthenticator(credentials({ userFile: file('user', 'gateway\n'), passwordFile: file('password', 's3cret\n') }))!;
    expect(auth()).toEqual({ user: 'gateway', pass: 's3cret' });
  });

  it('refuses a client-auth file without both values, naming the setting and not the content', () => {
    const path = file('half', 'username: only-me\n');
    expect(() => readBasicAuth(path)).toThrow(
      /bus\.jetstream\.credentials\.basicAuthFile: .*must hold YAML with a non-empty "username" and "password"/,
    );
    expect(() => readBasicAuth(file('garbage', '{{{'))).toThrow('bus.jetstream.credentials.basicAuthFile');
    try {
      readBasicAuth(path);
    } catch (error) {
      expect(String(error)).not.toContain('only-me');
    }
    expect(() => natsAuthenticator(credentials({ basicAuthFile: join(dir, 'missing') }))).toThrow(/basicAuthFile: cannot read/);
  });
});

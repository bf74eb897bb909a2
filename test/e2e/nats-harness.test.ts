// The NATS harness against real nats-server processes and the real client: one node and a three-node
// JetStream cluster come up, take acknowledged publishes, survive the loss of a node, lose and regain
// their streams with stopAll/startAll, and leave no process or directory behind.
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { binPath, repoRoot, startNats, reapStaleNats, type NatsServers } from '../harness/index.js';
import { isAlive as pidExists, isZombie, sleep } from '../harness/proc.js';
import { issue, makeCa } from './support/pki.js';

/** Alive and not merely a zombie waiting for its (new) parent to reap it. */
const isAlive = (pid: number): boolean => pidExists(pid) && !isZombie(pid);

const pinned = /^\s+github\.com\/nats-io\/nats-server\/v2 (v\S+)/m.exec(
  readFileSync(join(repoRoot(), 'test', 'cluster', 'nats', 'go.mod'), 'utf8'),
)?.[1];

/** Publishes until JetStream acknowledges (a new stream leader may take a moment); fails after `withinMs`. */
async function publishAcked(js: JetStreamClient, subject: string, data: string, withinMs = 15_000) {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await js.publish(subject, data, { msgID: `${subject}:${data}`, timeout: 2_000 });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

function expectGone(servers: NatsServers, pids: number[]): void {
  expect(pids.length).toBeGreaterThan(0);
  for (const pid of pids) expect(isAlive(pid), `nats-server pid ${pid} still alive`).toBe(false);
  expect(existsSync(servers.dir), `${servers.dir} still exists`).toBe(false);
}

describe('nats-server binary', () => {
  it('is the pinned release', () => {
    expect(pinned).toMatch(/^v2\.\d+\.\d+$/);
    expect(execFileSync(binPath('nats-server'), ['--version'], { encoding: 'utf8' }).trim()).toBe(`nats-server: ${pinned}`);
  });
});

describe('one node', () => {
  let servers: NatsServers | undefined;
  let nc: NatsConnection | undefined;
  afterEach(async () => {
    await nc?.close();
    await servers?.stop();
    nc = undefined;
    servers = undefined;
  });

  it('starts with JetStream, acknowledges publishes, and stop() leaves nothing behind', async () => {
    servers = await startNats();
    expect(servers.urls).toHaveLength(1);
    expect(servers.urls[0]).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${servers.monitorUrls[0]}/healthz`);
    expect(health.status).toBe(200);

    nc = await connect(servers.connectOptions());
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'ONE', subjects: ['one.>'] });
    const js = jetstream(nc);
    const first = await js.publish('one.a', 'hello', { msgID: 'm-1' });
    expect(first).toMatchObject({ stream: 'ONE', seq: 1, duplicate: false });
    expect(await js.publish('one.a', 'hello again', { msgID: 'm-1' })).toMatchObject({ seq: 1, duplicate: true });
    expect((await jsm.streams.getMessage('ONE', { seq: 1 }))?.string()).toBe('hello');
    await expect(js.publish('nowhere', 'x', { timeout: 1_000 })).rejects.toThrow();

    const pids = servers.pids();
    await nc.close();
    nc = undefined;
    await servers.stop();
    expectGone(servers, pids);
  });

  it('requires the token it was given, over TLS verified with its CA', async () => {
    const pkiDir = mkdtempSync(join(tmpdir(), 'tas-nats-pki-'));
    try {
      makeCa(pkiDir, 'ca');
      issue(pkiDir, { name: 'ca' }, 'server', 'server');
      servers = await startNats({
        auth: { token: 's3cret' },
        tls: { certFile: join(pkiDir, 'server.crt'), keyFile: join(pkiDir, 'server.key'), caFile: join(pkiDir, 'ca.crt') },
      });
      nc = await connect(servers.connectOptions());
      expect(nc.info?.tls_required).toBe(true);
      expect((await (await jetstreamManager(nc)).getAccountInfo()).streams).toBe(0);

      const url = servers.urls;
      const tls = { caFile: join(pkiDir, 'ca.crt') };
      await expect(connect({ servers: url, tls, token: 'wrong', reconnect: false })).rejects.toThrow(/authorization/i);
      await expect(connect({ servers: url, token: 's3cret', reconnect: false, timeout: 2_000 })).rejects.toThrow();
    } finally {
      rmSync(pkiDir, { recursive: true, force: true });
    }
  });

  it('takes a user and password', async () => {
    servers = await startNats({ auth: { user: 'gateway', password: 'pw' }, jetstream: false });
    nc = await connect(servers.connectOptions());
    expect(nc.info?.jetstream ?? false).toBe(false);
    await expect(connect({ servers: servers.urls, user: 'gateway', pass: 'nope', reconnect: false })).rejects.toThrow(/authorization/i);
  });

  it('rejects bad options with an error naming the setting', async () => {
    await expect(startNats({ nodes: 2 as 1 })).rejects.toThrow(/nodes must be 1 or 3/);
    await expect(startNats({ auth: { token: '' } })).rejects.toThrow(/auth\.token/);
    await expect(startNats({ tls: { certFile: '/nonexistent.crt', keyFile: '/x', caFile: '/y' } })).rejects.toThrow(/tls\.certFile/);
  });
});

describe('three-node JetStream cluster', () => {
  let servers: NatsServers;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let pidsAtStart: number[];

  beforeAll(async () => {
    servers = await startNats({ nodes: 3 });
    pidsAtStart = servers.pids();
    // The gateway's way: one connection that knows every node and keeps reconnecting.
    nc = await connect(servers.connectOptions({ maxReconnectAttempts: -1, reconnectTimeWait: 100 }));
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
  }, 90_000);
  afterAll(async () => {
    await nc?.close();
    await servers?.stop();
  });

  it('runs three nodes on their own ports with one meta leader', async () => {
    expect(servers.urls).toHaveLength(3);
    expect(new Set(servers.urls).size).toBe(3);
    expect(pidsAtStart).toHaveLength(3);
    const leaders = await Promise.all(
      servers.monitorUrls.map(async (url) => {
        const jsz = (await (await fetch(`${url}/jsz`)).json()) as { meta_cluster?: { leader?: string; cluster_size?: number } };
        expect(jsz.meta_cluster?.cluster_size).toBe(3);
        return jsz.meta_cluster?.leader;
      }),
    );
    expect(new Set(leaders).size).toBe(1);
    expect(['n0', 'n1', 'n2']).toContain(leaders[0]);
  });

  it('keeps acknowledging R3 publishes when the stream leader is killed, and the node rejoins', async () => {
    await jsm.streams.add({ name: 'EVENTS', subjects: ['events.>'], num_replicas: 3 });
    for (let i = 1; i <= 10; i++) expect((await publishAcked(js, 'events.a', `e${i}`)).seq).toBe(i);

    const leader = (await jsm.streams.info('EVENTS')).cluster?.leader;
    const victim = servers.nodes.findIndex((n) => n.name === leader);
    expect(victim).toBeGreaterThanOrEqual(0);
    const victimPid = servers.pids()[victim];
    await servers.killNode(victim);
    expect(servers.running(victim)).toBe(false);
    expect(isAlive(victimPid!)).toBe(false);

    for (let i = 11; i <= 20; i++) expect((await publishAcked(js, 'events.a', `e${i}`)).seq).toBe(i);
    const during = await jsm.streams.info('EVENTS');
    expect(during.state.messages).toBe(20);
    expect(during.cluster?.leader).not.toBe(leader);

    await servers.startNode(victim);
    expect(servers.running(victim)).toBe(true);
    // The restarted node catches up: all three replicas current again.
    const deadline = Date.now() + 30_000;
    let info = await jsm.streams.info('EVENTS');
    while ((info.cluster?.replicas ?? []).filter((r) => r.current).length < 2 && Date.now() < deadline) {
      await sleep(200);
      info = await jsm.streams.info('EVENTS');
    }
    expect(info.cluster?.replicas?.map((r) => r.name).sort()).toEqual(['n0', 'n1', 'n2'].filter((n) => n !== info.cluster?.leader));
    expect(info.cluster?.replicas?.every((r) => r.current)).toBe(true);
  });

  it('refuses publishes while every node is down, and has the stream and its messages back after startAll', async () => {
    await servers.stopAll();
    expect(servers.pids()).toEqual([]);
    await expect(js.publish('events.a', 'lost?', { timeout: 1_000 })).rejects.toThrow();

    await servers.startAll();
    expect(servers.pids()).toHaveLength(3);
    // startAll() returns once the stream has a leader again: a new client publishes at the first try...
    const fresh = await connect(servers.connectOptions());
    try {
      expect((await jetstream(fresh).publish('events.a', 'e21', { timeout: 2_000 })).seq).toBe(21);
    } finally {
      await fresh.close();
    }
    // ...and the old connection reconnects by itself.
    expect((await publishAcked(js, 'events.a', 'e22')).seq).toBe(22);
    const info = await jsm.streams.info('EVENTS');
    expect(info.state.messages).toBe(22);
    expect(info.config.num_replicas).toBe(3);
    expect((await jsm.streams.getMessage('EVENTS', { seq: 15 }))?.string()).toBe('e15');
  });

  it('holds a replicated KV bucket', async () => {
    const kv = await new Kvm(nc).create('cursors', { replicas: 3 });
    expect((await kv.status()).replicas).toBe(3);
    await kv.put('argo.source-a', '42');
    await servers.killNode(0);
    try {
      // Direct gets go to any replica; right after a node dies the request may find no responder yet.
      const deadline = Date.now() + 15_000;
      let entry: Awaited<ReturnType<typeof kv.get>> | undefined;
      while (entry === undefined) {
        try {
          entry = await kv.get('argo.source-a');
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await sleep(100);
        }
      }
      expect(entry?.string()).toBe('42');
    } finally {
      await servers.startNode(0);
    }
  });

  it('stop() leaves no process and no directory', async () => {
    const pids = servers.pids();
    expect(pids).toHaveLength(3);
    await nc.close();
    await servers.stop();
    expectGone(servers, pids);
  });
});

describe('servers whose owner dies', () => {
  const ownerScript = (harness: string): string => `
    import { startNats } from ${JSON.stringify(harness)};
    const servers = await startNats();
    console.log(JSON.stringify({ dir: servers.dir, pids: servers.pids() }));
    setInterval(() => undefined, 60_000);
  `;

  async function startOwner(): Promise<{ owner: ReturnType<typeof spawn>; dir: string; pids: number[] }> {
    const harness = join(repoRoot(), 'dist', 'test', 'harness', 'nats.js');
    const owner = spawn(process.execPath, ['--input-type=module', '-e', ownerScript(harness)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const line = await new Promise<string>((resolve, reject) => {
      owner.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      owner.once('exit', (code) => reject(new Error(`owner exited (${code}) before starting NATS`)));
    });
    return { owner, ...(JSON.parse(line) as { dir: string; pids: number[] }) };
  }

  it('are stopped and removed when the owner gets SIGTERM', async () => {
    const { owner, dir, pids } = await startOwner();
    expect(pids.every(isAlive)).toBe(true);
    const exited = new Promise((resolve) => owner.once('exit', resolve));
    owner.kill('SIGTERM');
    await exited;
    await sleep(200);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });

  it('are reaped by the next start after the owner got SIGKILL', async () => {
    const { owner, dir, pids } = await startOwner();
    const exited = new Promise((resolve) => owner.once('exit', resolve));
    owner.kill('SIGKILL');
    await exited;
    // Nothing could clean up: the servers outlive their owner...
    expect(pids.every(isAlive)).toBe(true);
    expect(existsSync(dir)).toBe(true);
    // ...until the next start (or an explicit reap) finds them.
    reapStaleNats();
    await sleep(200);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });
});

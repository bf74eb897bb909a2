import { headers, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/nats-core';
import { describe, expect, it } from 'vitest';
import { AckedPublisher, parseAck } from '../../../../../gateway/log/jetstream/publisher.js';

interface Sent {
  subject: string;
  payload: string;
  reply: string;
  /** Publishes already handed to the client when this one was (0 = first of its turn). */
  turn: number;
}

/** A NatsConnection that records publishes and lets the test answer them on the one inbox subscription. */
function fakeConnection() {
  const sent: Sent[] = [];
  let turns = 0;
  let pendingTurn = false;
  let inbox: { subject: string; callback: (error: Error | null, msg: Msg) => void } | undefined;
  const nc = {
    subscribe(subject: string, options: { callback: (error: Error | null, msg: Msg) => void }) {
      inbox = { subject, callback: options.callback };
      return { unsubscribe: () => (inbox = undefined) };
    },
    publish(subject: string, payload: Uint8Array, options: { reply: string; headers: MsgHdrs }) {
      // Publishes handed over in one synchronous run share a turn number.
      if (!pendingTurn) {
        pendingTurn = true;
        turns++;
        queueMicrotask(() => (pendingTurn = false));
      }
      sent.push({ subject, payload: Buffer.from(payload).toString(), reply: options.reply, turn: turns });
    },
  } as unknown as NatsConnection;
  const answer = (reply: string, ack: object) => {
    if (!inbox) throw new Error('no inbox subscription');
    inbox.callback(null, { subject: reply, data: Buffer.from(JSON.stringify(ack)), headers: undefined } as unknown as Msg);
  };
  return { nc, sent, answer, inboxSubject: () => inbox?.subject };
}

const hdrs = (id: string) => {
  const h = headers();
  h.set('Nats-Msg-Id', id);
  return h;
};
const bytes = (text: string) => Buffer.from(text);

describe('AckedPublisher', () => {
  it('hands the publishes of one turn to the client together, after the turn, in order, each with its own reply subject in one inbox', async () => {
    const { nc, sent, answer, inboxSubject } = fakeConnection();
    const publisher = new AckedPublisher(nc, 5000);
    const results = ['a', 'b', 'c'].map((id) => publisher.publish('mcp.x.events', bytes(id), hdrs(id)));
    expect(sent).toEqual([]);
    expect(publisher.pending).toBe(3);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent.map((s) => s.payload)).toEqual(['a', 'b', 'c']);
    expect(new Set(sent.map((s) => s.turn)).size).toBe(1);
    expect(new Set(sent.map((s) => s.reply)).size).toBe(3);
    for (const s of sent) expect(s.reply.startsWith(inboxSubject()!.slice(0, -1))).toBe(true);

    answer(sent[1]!.reply, { stream: 's', seq: 8, duplicate: true });
    answer(sent[0]!.reply, { stream: 's', seq: 7 });
    answer(sent[2]!.reply, { error: { code: 503, err_code: 10077, description: 'maximum messages exceeded' } });
    expect(await Promise.all(results)).toEqual([
      { kind: 'stored', seq: 7 },
      { kind: 'duplicate', seq: 8 },
      { kind: 'error', code: 10077, description: 'maximum messages exceeded' },
    ]);
    expect(publisher.pending).toBe(0);
    publisher.close();
  });

  it('a later turn is a separate hand-over', async () => {
    const { nc, sent } = fakeConnection();
    const publisher = new AckedPublisher(nc, 5000);
    void publisher.publish('s', bytes('1'), hdrs('1'));
    await new Promise((resolve) => setImmediate(resolve));
    void publisher.publish('s', bytes('2'), hdrs('2'));
    void publisher.publish('s', bytes('3'), hdrs('3'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent.map((s) => [s.payload, s.turn])).toEqual([
      ['1', 1],
      ['2', 2],
      ['3', 2],
    ]);
    publisher.close();
  });

  it('publishes answered by failAll before their turn are never sent', async () => {
    const { nc, sent } = fakeConnection();
    const publisher = new AckedPublisher(nc, 5000);
    const result = publisher.publish('s', bytes('x'), hdrs('x'));
    publisher.failAll('the connection broke');
    expect(await result).toEqual({ kind: 'unknown', description: 'the connection broke' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual([]);
    expect(publisher.pending).toBe(0);
    publisher.close();
  });

  it('a publish the client refuses is answered unknown with its reason, and the others still go', async () => {
    const { nc, sent } = fakeConnection();
    type Publish = (subject: string, payload: Uint8Array, options: object) => void;
    const target = nc as unknown as { publish: Publish };
    const publish = target.publish.bind(nc);
    target.publish = (subject, payload, options) => {
      if (Buffer.from(payload).toString() === 'bad') throw new Error('connection closed');
      publish(subject, payload, options);
    };
    const publisher = new AckedPublisher(nc, 5000);
    const bad = publisher.publish('s', bytes('bad'), hdrs('bad'));
    void publisher.publish('s', bytes('good'), hdrs('good'));
    expect(await bad).toEqual({ kind: 'unknown', description: 'connection closed' });
    expect(sent.map((s) => s.payload)).toEqual(['good']);
    expect(publisher.pending).toBe(1);
    publisher.close();
  });
});

describe('parseAck', () => {
  it('reads stored, duplicate and refused acknowledgements, and a no-stream status', () => {
    expect(parseAck(bytes('{"stream":"s","seq":3}'), undefined)).toEqual({ kind: 'stored', seq: 3 });
    expect(parseAck(bytes('{"stream":"s","seq":3,"duplicate":true}'), undefined)).toEqual({ kind: 'duplicate', seq: 3 });
    expect(parseAck(bytes('{"error":{"code":400,"description":"bad"}}'), undefined)).toEqual({ kind: 'error', code: 400, description: 'bad' });
    expect(parseAck(new Uint8Array(), { code: 503 } as unknown as MsgHdrs)).toMatchObject({ kind: 'error', code: 503 });
    expect(parseAck(bytes('not json'), undefined)).toEqual({ kind: 'unknown', description: 'unreadable acknowledgement' });
  });
});

import { describe, expect, it } from 'vitest';
import { defineEncoder, defineForm, Envelope } from '../../../../gateway/log/envelope.js';

const event = { event_id: 'e1', event_type: 't', source: 's', timestamp: 1, data: '{}', metadata: {} };

describe('Envelope', () => {
  it('derives each form once per envelope, in a slot of its own, however often it is asked for', () => {
    const upper = defineForm<string>();
    const length = defineForm<number>();
    let made = 0;
    const makeUpper = (envelope: Envelope) => (made++, envelope.event.event_id.toUpperCase());
    const first = new Envelope(event, 1, 0, undefined);
    const second = new Envelope({ ...event, event_id: 'e2' }, 2, 0, undefined);
    expect([first.derived(upper, makeUpper), first.derived(upper, makeUpper), second.derived(upper, makeUpper)]).toEqual(['E1', 'E1', 'E2']);
    expect(made).toBe(2);
    expect(first.derived(length, (e) => e.event.event_id.length)).toBe(2);
    expect(first.derived(upper, makeUpper)).toBe('E1');
  });

  it('encodes once per encoder', () => {
    let calls = 0;
    const encoder = defineEncoder((envelope) => (calls++, Buffer.from(`${envelope.position}`)));
    const envelope = new Envelope(event, 7, 0, undefined);
    expect(envelope.encoded(encoder)).toBe(envelope.encoded(encoder));
    expect([envelope.encoded(encoder).toString(), calls]).toEqual(['7', 1]);
  });
});

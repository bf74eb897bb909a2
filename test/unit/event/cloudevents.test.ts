import { describe, expect, it } from 'vitest';
import { encodeHeaderValue, extensionName, forwardedBy, hopsOf, pathOf, toBinaryCloudEvent } from '../../../src/event/index.js';

const event = {
  event_id: 'evt_abc123',
  event_type: 'document.uploaded',
  source: 'aether-be',
  timestamp: 1704537600000,
  data: '{"document_id":"doc_456"}',
  metadata: { tenant_id: 'tenant_789', 'Space-ID': 'space 1', id: 'clash', 'a-very-long-metadata-key-name': 'x', '***': 'dropped' },
};

describe('CloudEvents binary mode', () => {
  it('maps id, source, type, time and data, and metadata to extensions', () => {
    const { headers, body } = toBinaryCloudEvent(event);
    expect(headers).toMatchObject({
      'ce-specversion': '1.0',
      'ce-id': 'evt_abc123',
      'ce-source': 'aether-be',
      'ce-type': 'document.uploaded',
      'ce-time': '2024-01-06T10:40:00.000Z',
      'content-type': 'application/json',
      'ce-tenantid': 'tenant_789',
      'ce-spaceid': 'space%201',
      'ce-xid': 'clash',
      'ce-averylongmetadatakey': 'x',
    });
    expect(
      Object.keys(headers)
        .filter((h) => h.startsWith('ce-'))
        .every((h) => /^ce-[a-z0-9]{1,20}$/.test(h)),
    ).toBe(true);
    expect(body).toBe(event.data);
  });

  it('folds extension names to [a-z0-9]{1,20}', () => {
    expect(extensionName('Tenant_ID')).toBe('tenantid');
    expect(extensionName('type')).toBe('xtype');
    expect(extensionName('---')).toBeUndefined();
  });

  it('percent-encodes what may not stand in a header', () => {
    expect(encodeHeaderValue('a b"%é')).toBe('a%20b%22%25%C3%A9');
    expect(encodeHeaderValue('line\nbreak')).toBe('line%0Abreak');
  });
});

describe('federation metadata', () => {
  it('adds a hop and this gateway to the path, keeping the id and the rest', () => {
    const once = forwardedBy({ ...event, metadata: {} }, 'gw-a');
    const twice = forwardedBy(once, 'gw-b');
    expect([hopsOf(twice), pathOf(twice)]).toEqual([2, ['gw-a', 'gw-b']]);
    expect(twice.event_id).toBe(event.event_id);
    expect(hopsOf({ ...event, metadata: { mcphops: 'nonsense' } })).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { compileRouteMatch } from '../../../../gateway/forwarding/routing.js';
import type { McpEvent } from '../../../../src/event/index.js';

const event = (event_type: string, source: string, metadata: Record<string, string> = {}): McpEvent => ({
  event_id: 'e1',
  event_type,
  source,
  timestamp: 0,
  data: '{}',
  metadata,
});

describe('route matching', () => {
  it('takes an event only when every condition holds', () => {
    const matches = compileRouteMatch({ eventTypes: ['document.*'], sources: ['crawler'], metadata: { team: 'a' } });
    expect(matches(event('document.uploaded', 'crawler', { team: 'a' }))).toBe(true);
    expect(matches(event('image.uploaded', 'crawler', { team: 'a' }))).toBe(false);
    expect(matches(event('document.uploaded', 'browser', { team: 'a' }))).toBe(false);
    expect(matches(event('document.uploaded', 'crawler', { team: 'b' }))).toBe(false);
    expect(matches(event('document.uploaded', 'crawler'))).toBe(false);
  });

  it('holds for any source and metadata when the match names none', () => {
    const matches = compileRouteMatch({ eventTypes: ['document.uploaded'], sources: [], metadata: {} });
    expect(matches(event('document.uploaded', 'anything', { x: 'y' }))).toBe(true);
    expect(matches(event('document.uploaded.v2', 'anything'))).toBe(false);
  });
});

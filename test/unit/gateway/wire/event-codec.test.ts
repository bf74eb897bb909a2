import { describe, expect, it } from 'vitest';
import type { McpEvent } from '../../../../src/event/index.js';
import { encodeIngestRequest, encodeStreamedEvent } from '../../../../gateway/wire/event-codec.js';
import { mcpService } from '../../../../gateway/wire/protos.js';

const events: McpEvent[] = [
  { event_id: 'e-1', event_type: 'document.created', source: 'svc', timestamp: 1_764_601_234_567, data: '{"a":1}', metadata: {} },
  {
    event_id: 'ünïcødé-✓-𝄞',
    event_type: 't',
    source: '',
    timestamp: 0,
    data: JSON.stringify({ text: 'x'.repeat(300), emoji: '🚀' }),
    metadata: { tenant_id: 'team-a', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', empty: '' },
  },
];

describe('event codec', () => {
  it("writes the same mcp.v1.Event bytes as proto-loader's serializer, position included", () => {
    for (const [i, event] of events.entries()) {
      const position = [1, 1_764_601_234_567_890][i]!;
      const expected = mcpService.StreamEvents!.responseSerialize({ ...event, position });
      expect(encodeStreamedEvent(event, position).equals(expected)).toBe(true);
      expect(mcpService.StreamEvents!.responseDeserialize(encodeStreamedEvent(event, position))).toEqual({ ...event, position });
    }
  });

  it('writes the same mcp.v1.IngestEventRequest bytes, which decode to the event', () => {
    for (const event of events) {
      const bytes = encodeIngestRequest(event);
      expect(Buffer.isBuffer(bytes)).toBe(true);
      expect(bytes.equals(mcpService.IngestEvent!.requestSerialize(event))).toBe(true);
      expect(mcpService.IngestEvent!.requestDeserialize(bytes)).toEqual(event);
    }
  });
});

// The event every ingest benchmark sends, over HTTP or straight to JetStream, so their costs
// compare: ~400 bytes, data is JSON text inside the JSON body, and a distinct event_id in place
// of the placeholder (the gateway and JetStream drop repeated ids).
import { ID_PLACEHOLDER } from './load-http.js';

export const HTTP_EVENT = JSON.stringify({
  event_id: ID_PLACEHOLDER,
  event_type: 'document.updated',
  source: 'bench-loadgen',
  timestamp: 1_763_700_000_000,
  data: JSON.stringify({ document: 'doc-42', revision: 7, author: 'bench', tags: ['a', 'b', 'c'], summary: 'x'.repeat(120) }),
  metadata: { tenant: 'bench', region: 'local', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' },
});

import { describe, expect, it } from 'vitest';
import { Envelope } from '../../../../gateway/log/envelope.js';
import { KubernetesEventSink, labelValue } from '../../../../gateway/sinks/kubernetes-events.js';
import type { EventRecord, EventRecorder } from '../../../../src/kube/event-recorder.js';

describe('labelValue', () => {
  it.each([
    ['document.uploaded', 'document.uploaded'],
    ['urn:mcp/doc uploaded', 'urn_mcp_doc_uploaded'],
    ['-leading.and.trailing-', 'leading.and.trailing'],
    ['x'.repeat(80), 'x'.repeat(63)],
  ])('%s -> %s', (text, label) => {
    expect(labelValue(text)).toBe(label);
    expect(labelValue(text)).toMatch(/^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/);
  });
});

describe('KubernetesEventSink', () => {
  const regarding = { apiVersion: 'mcp.tas.ai/v1alpha1', kind: 'McpServer', name: 'alpha', namespace: 'team-a' };
  const envelope = (id: string, type: string) =>
    new Envelope({ event_id: id, event_type: type, source: 'svc', timestamp: 1, data: '{}', metadata: {} }, 1, 0, undefined);

  function sink(detail: 'all' | 'failures') {
    const records: EventRecord[] = [];
    const recorder = { record: (r: EventRecord) => records.push(r) > 0 } as unknown as EventRecorder;
    return { records, sink: new KubernetesEventSink(recorder, { enabled: true, qps: 10, burst: 25, detail, regarding }) };
  }

  it('records each dispatched event, one series per type and source', () => {
    const { records, sink: s } = sink('all');
    s.dispatch(envelope('e1', 'document.uploaded'));
    s.dispatch(envelope('e2', 'document.uploaded'));
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ reason: 'EventDispatched', action: 'Dispatch', type: 'Normal', regarding });
    expect(records[0]!.noteKey).toBe(records[1]!.noteKey);
    expect(records[0]!.note).toContain('e1');
    expect(records[0]!.labels).toEqual({ 'mcp.tas.ai/server': 'alpha', 'mcp.tas.ai/event-type': 'document.uploaded', 'mcp.tas.ai/source': 'svc' });
  });

  it('with detail "failures" records only dead letters and unreachable peers', () => {
    const { records, sink: s } = sink('failures');
    s.dispatch(envelope('e1', 'document.uploaded'));
    s.peerUnreachable('team-b/beta', 'ECONNREFUSED');
    expect(records.map((r) => [r.reason, r.type])).toEqual([['PeerUnreachable', 'Warning']]);
  });
});

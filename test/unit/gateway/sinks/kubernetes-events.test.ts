import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Envelope } from '../../../../gateway/log/envelope.js';
import { KubernetesEventSink } from '../../../../gateway/sinks/kubernetes-events.js';
import { isValidLabelValue, labelValue } from '../../../../gateway/sinks/label-value.js';
import type { DeadLetter } from '../../../../gateway/forwarding/dead-letters.js';
import type { EventRecord, EventRecorder } from '../../../../src/kube/event-recorder.js';

/** Kubernetes' own rule for label values (k8s.io/apimachinery validation.IsValidLabelValue). */
const KUBERNETES_LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const hash10 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 10);

describe('labelValue', () => {
  it.each([
    ['document.uploaded', 'document.uploaded'],
    ['a', 'a'],
    ['x'.repeat(63), 'x'.repeat(63)],
  ])('keeps a valid label value as it is: %s', (text, label) => {
    expect(labelValue(text)).toBe(label);
  });

  it.each([
    ['urn:mcp/doc uploaded', `urn_mcp_doc_uploaded-${hash10('urn:mcp/doc uploaded')}`],
    ['tenant:42', `tenant_42-${hash10('tenant:42')}`],
    ['svc/a', `svc_a-${hash10('svc/a')}`],
    ['document.', `document-${hash10('document.')}`],
    ['-leading.and.trailing-', `leading.and.trailing-${hash10('-leading.and.trailing-')}`],
    ['café.übersicht', `caf_._bersicht-${hash10('café.übersicht')}`],
    ['日本語', hash10('日本語')],
    ['x'.repeat(80), `${'x'.repeat(52)}-${hash10('x'.repeat(80))}`],
  ])('rewrites %s with a hash of the original', (text, label) => {
    expect(labelValue(text)).toBe(label);
  });

  it('always yields a valid label value, at most 63 characters', () => {
    const texts = [
      'a:b',
      'a/b',
      ':',
      '//',
      '-',
      '.',
      '😀',
      'é'.repeat(100),
      `${'a'.repeat(62)}:`,
      'ok',
      ' spaced out ',
      'x'.repeat(64),
      'x'.repeat(1000),
    ];
    for (const text of texts) {
      const value = labelValue(text);
      expect(value, text).toMatch(KUBERNETES_LABEL_VALUE);
      expect(value.length, text).toBeLessThanOrEqual(63);
      expect(value.length, text).toBeGreaterThan(0);
      expect(isValidLabelValue(value), text).toBe(true);
    }
  });

  it('keeps texts apart that a plain rewrite or cut would merge', () => {
    const groups = [
      ['a:b', 'a/b', 'a_b', 'a::b', 'a b'],
      [`${'t'.repeat(63)}.one`, `${'t'.repeat(63)}.two`], // differ only after character 63
      [`${'t'.repeat(63)}`, `${'t'.repeat(63)}x`], // valid, and cut to the same 63 characters
      ['日本', '中文'], // nothing readable left
    ];
    for (const group of groups) {
      const values = group.map(labelValue);
      expect(new Set(values).size, group.join(' | ')).toBe(group.length);
    }
  });

  it('is a function of the text alone (the same value every time, so selectors keep matching)', () => {
    expect(labelValue('urn:x/y')).toBe(labelValue('urn:x/y'));
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
    expect(records[0]!.labels).toEqual({
      'mcp.tas.ai/server': 'alpha',
      'mcp.tas.ai/reason': 'EventDispatched',
      'mcp.tas.ai/event-type': 'document.uploaded',
      'mcp.tas.ai/source': 'svc',
    });
    expect(records[0]!.annotations).toEqual({ 'mcp.tas.ai/event-type': 'document.uploaded', 'mcp.tas.ai/source': 'svc' });
  });

  it('labels a rewritten type by the mapping and keeps the exact type in the annotation', () => {
    const { records, sink: s } = sink('all');
    s.dispatch(envelope('e1', 'urn:doc/uploaded'));
    expect(records[0]!.labels!['mcp.tas.ai/event-type']).toBe(labelValue('urn:doc/uploaded'));
    expect(records[0]!.labels!['mcp.tas.ai/event-type']).toMatch(/^urn_doc_uploaded-[0-9a-f]{10}$/);
    expect(records[0]!.annotations!['mcp.tas.ai/event-type']).toBe('urn:doc/uploaded');
  });

  it('marks dead letters with their own reason label, so a selector on EventDispatched never sees them', () => {
    const { records, sink: s } = sink('all');
    const letter: DeadLetter = {
      id: '1',
      event: { event_id: 'e1', event_type: 'document.uploaded', source: 'svc', timestamp: 1, data: '{}', metadata: {} },
      route: 'route/docs',
      target: 'http://127.0.0.1:9/hook',
      targetUrl: 'http://127.0.0.1:9/hook',
      reason: 'attempts_exhausted',
      attempts: 3,
      deadLetteredAt: 1,
    };
    s.deadLettered(letter);
    expect(records[0]).toMatchObject({ reason: 'EventDeadLettered', type: 'Warning' });
    expect(records[0]!.labels).toMatchObject({
      'mcp.tas.ai/reason': 'EventDeadLettered',
      'mcp.tas.ai/event-type': 'document.uploaded',
      'mcp.tas.ai/route': labelValue('route/docs'),
      'mcp.tas.ai/target': labelValue('http://127.0.0.1:9/hook'),
    });
    expect(records[0]!.annotations).toEqual({
      'mcp.tas.ai/event-type': 'document.uploaded',
      'mcp.tas.ai/route': 'route/docs',
      'mcp.tas.ai/target': 'http://127.0.0.1:9/hook',
    });
  });

  it('with detail "failures" records only dead letters and unreachable peers', () => {
    const { records, sink: s } = sink('failures');
    s.dispatch(envelope('e1', 'document.uploaded'));
    s.peerUnreachable('team-b/beta', 'ECONNREFUSED');
    expect(records.map((r) => [r.reason, r.type])).toEqual([['PeerUnreachable', 'Warning']]);
  });
});

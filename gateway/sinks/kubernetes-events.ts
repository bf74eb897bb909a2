// Dispatched MCP events as events.k8s.io Events about the gateway's McpServer, labelled so that
// Argo's `resource` EventSource can select them on the server side. The recorder budgets API
// writes (qps, burst) and folds what exceeds the budget into each Event's series, so the API
// server sees at most the budget while the counts stay exact; it never blocks the data path.
// So a watcher sees one ADD or UPDATE per API write, not per event (config/argo/README.md).
// Label values are mapped as label-value.ts says; each free-text label also goes, exactly as it
// was, into an annotation of the same name, for filters that need the original.
import type { V1ObjectReference } from '@kubernetes/client-node';
import type { GatewayConfig } from '../../src/config/index.js';
import type { EventRecorder } from '../../src/kube/event-recorder.js';
import type { LogSink } from '../log/event-log.js';
import type { Envelope } from '../log/envelope.js';
import type { DeadLetter } from '../forwarding/dead-letters.js';
import { labelValue } from './label-value.js';

export const LABELS = {
  server: 'mcp.tas.ai/server',
  /** The Event's reason (EventDispatched, EventDeadLettered, PeerUnreachable), for server-side selection. */
  reason: 'mcp.tas.ai/reason',
  eventType: 'mcp.tas.ai/event-type',
  source: 'mcp.tas.ai/source',
  route: 'mcp.tas.ai/route',
  target: 'mcp.tas.ai/target',
} as const;

export const REASONS = { dispatched: 'EventDispatched', deadLettered: 'EventDeadLettered', peerUnreachable: 'PeerUnreachable' } as const;

/** Labels (mapped) and annotations (exact) for free-text values, under the same keys. */
function described(values: Record<string, string>): { labels: Record<string, string>; annotations: Record<string, string> } {
  const labels: Record<string, string> = {};
  for (const [key, text] of Object.entries(values)) labels[key] = labelValue(text);
  return { labels, annotations: { ...values } };
}

export class KubernetesEventSink implements LogSink {
  private readonly regarding: V1ObjectReference;
  private readonly serverLabel: string;
  private readonly everyEvent: boolean;

  constructor(
    private readonly recorder: EventRecorder,
    settings: GatewayConfig['kubernetesEvents'] & { regarding: NonNullable<GatewayConfig['kubernetesEvents']['regarding']> },
  ) {
    this.regarding = { ...settings.regarding };
    this.serverLabel = labelValue(settings.regarding.name);
    this.everyEvent = settings.detail === 'all';
  }

  dispatch(envelope: Envelope): void {
    if (!this.everyEvent) return;
    const event = envelope.event;
    const { labels, annotations } = described({ [LABELS.eventType]: event.event_type, [LABELS.source]: event.source });
    this.recorder.record({
      regarding: this.regarding,
      type: 'Normal',
      reason: REASONS.dispatched,
      action: 'Dispatch',
      note: `MCP event ${event.event_id} of type ${event.event_type} from ${event.source} dispatched`,
      // One series per type and source: the note's id changes each time, the key does not.
      noteKey: `dispatched ${event.event_type} ${event.source}`,
      labels: { [LABELS.server]: this.serverLabel, [LABELS.reason]: REASONS.dispatched, ...labels },
      annotations,
    });
  }

  deadLettered(letter: DeadLetter): void {
    const { labels, annotations } = described({
      [LABELS.eventType]: letter.event.event_type,
      [LABELS.route]: letter.route,
      [LABELS.target]: letter.target,
    });
    this.recorder.record({
      regarding: this.regarding,
      type: 'Warning',
      reason: REASONS.deadLettered,
      action: 'Forward',
      note: `MCP event ${letter.event.event_id} of type ${letter.event.event_type} not delivered to ${letter.target}: ${letter.reason} after ${letter.attempts} attempt(s)${letter.lastError ? ` (${letter.lastError})` : ''}`,
      noteKey: `dead-lettered ${letter.route} ${letter.target} ${letter.reason}`,
      labels: { [LABELS.server]: this.serverLabel, [LABELS.reason]: REASONS.deadLettered, ...labels },
      annotations,
    });
  }

  peerUnreachable(target: string, error: string): void {
    const { labels, annotations } = described({ [LABELS.target]: target });
    this.recorder.record({
      regarding: this.regarding,
      type: 'Warning',
      reason: REASONS.peerUnreachable,
      action: 'Forward',
      note: `forwarding target ${target} is failing; its circuit opened: ${error}`,
      noteKey: `unreachable ${target}`,
      labels: { [LABELS.server]: this.serverLabel, [LABELS.reason]: REASONS.peerUnreachable, ...labels },
      annotations,
    });
  }
}

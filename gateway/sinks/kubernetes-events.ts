// Dispatched MCP events as events.k8s.io Events about the gateway's McpServer, labelled so that
// Argo's `resource` EventSource can select them on the server side. The recorder budgets API
// writes (qps, burst) and folds what exceeds the budget into each Event's series, so the API
// server sees at most the budget while the counts stay exact; it never blocks the data path.
import type { V1ObjectReference } from '@kubernetes/client-node';
import type { GatewayConfig } from '../../src/config/index.js';
import type { EventRecorder } from '../../src/kube/event-recorder.js';
import type { LogSink } from '../log/event-log.js';
import type { Envelope } from '../log/envelope.js';
import type { DeadLetter } from '../forwarding/dead-letters.js';

export const LABELS = {
  server: 'mcp.tas.ai/server',
  eventType: 'mcp.tas.ai/event-type',
  source: 'mcp.tas.ai/source',
  route: 'mcp.tas.ai/route',
  target: 'mcp.tas.ai/target',
} as const;

/** Any text as a valid label value: at most 63 of [A-Za-z0-9._-], starting and ending alphanumeric. */
export function labelValue(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 63);
  return cleaned.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
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
    this.recorder.record({
      regarding: this.regarding,
      type: 'Normal',
      reason: 'EventDispatched',
      action: 'Dispatch',
      note: `MCP event ${event.event_id} of type ${event.event_type} from ${event.source} dispatched`,
      // One series per type and source: the note's id changes each time, the key does not.
      noteKey: `dispatched ${event.event_type} ${event.source}`,
      labels: {
        [LABELS.server]: this.serverLabel,
        [LABELS.eventType]: labelValue(event.event_type),
        [LABELS.source]: labelValue(event.source),
      },
    });
  }

  deadLettered(letter: DeadLetter): void {
    this.recorder.record({
      regarding: this.regarding,
      type: 'Warning',
      reason: 'EventDeadLettered',
      action: 'Forward',
      note: `MCP event ${letter.event.event_id} of type ${letter.event.event_type} not delivered to ${letter.target}: ${letter.reason} after ${letter.attempts} attempt(s)${letter.lastError ? ` (${letter.lastError})` : ''}`,
      noteKey: `dead-lettered ${letter.route} ${letter.target} ${letter.reason}`,
      labels: {
        [LABELS.server]: this.serverLabel,
        [LABELS.eventType]: labelValue(letter.event.event_type),
        [LABELS.route]: labelValue(letter.route),
        [LABELS.target]: labelValue(letter.target),
      },
    });
  }

  peerUnreachable(target: string, error: string): void {
    this.recorder.record({
      regarding: this.regarding,
      type: 'Warning',
      reason: 'PeerUnreachable',
      action: 'Forward',
      note: `forwarding target ${target} is failing; its circuit opened: ${error}`,
      noteKey: `unreachable ${target}`,
      labels: { [LABELS.server]: this.serverLabel, [LABELS.target]: labelValue(target) },
    });
  }
}

// Names and limits of the JetStream objects a gateway uses, derived once from its config. Every
// replica of one McpServer derives the same names (from GATEWAY_ID, which the operator sets to
// namespace/name), so they share one log; two McpServers on one NATS never share.
import type { GatewayConfig } from '../../../src/config/index.js';
import { jetStreamNames } from '../../../src/config/jetstream-names.js';

export { nameToken } from '../../../src/config/jetstream-names.js';

export type JetStreamConfig = NonNullable<GatewayConfig['bus']['jetstream']>;

export interface JetStreamSettings {
  config: JetStreamConfig;
  /** The events stream. */
  stream: string;
  /** Its subject: every event is published here. */
  eventsSubject: string;
  /** The dead-letter stream and its subjects (`<prefix>.dlq.<consumer>`). */
  deadLetterStream: string;
  deadLetterSubjectPrefix: string;
  /** The KV bucket holding named subscribers' resume positions. */
  cursorBucket: string;
  /** The shared consumer that writes Kubernetes Events, once per event across replicas. */
  kubernetesEventsConsumer: string;
}

export function jetStreamSettings(config: GatewayConfig): JetStreamSettings {
  const jetstream = config.bus.jetstream;
  if (!jetstream) throw new Error('bus.jetstream is not configured');
  const { stream, subjectPrefix: prefix } = jetStreamNames(config.identity.id, jetstream.stream);
  return {
    config: jetstream,
    stream,
    eventsSubject: `${prefix}.events`,
    deadLetterStream: `${stream}_dlq`,
    deadLetterSubjectPrefix: `${prefix}.dlq`,
    cursorBucket: `${stream}_cursors`,
    kubernetesEventsConsumer: 'kubernetes-events',
  };
}

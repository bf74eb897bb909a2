// Names and limits of the JetStream objects a gateway uses, derived once from its config. Every
// replica of one McpServer derives the same names (from GATEWAY_ID, which the operator sets to
// namespace/name), so they share one log; two McpServers on one NATS never share.
import type { GatewayConfig } from '../../../src/config/index.js';

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

/** The stream name used when the gateway has no identity (a standalone gateway without GATEWAY_ID). */
export const DEFAULT_STREAM_TOKEN = 'gateway';

/** A config identity ("team-a/alpha", "host:8080") as a name token: characters outside A-Z a-z 0-9 - become _. */
export function nameToken(identity: string): string {
  return identity.replace(/[^A-Za-z0-9-]/g, '_');
}

export function jetStreamSettings(config: GatewayConfig): JetStreamSettings {
  const jetstream = config.bus.jetstream;
  if (!jetstream) throw new Error('bus.jetstream is not configured');
  const token = nameToken(config.identity.id ?? DEFAULT_STREAM_TOKEN);
  const stream = jetstream.stream.name ?? `mcp_${token}`;
  const prefix = jetstream.stream.subjectPrefix ?? `mcp.${token}`;
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

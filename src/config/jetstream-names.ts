// The JetStream names a gateway's log goes by, derived from its identity unless configured. One
// home for the rule, because both sides need it: the gateway creates the stream, the operator
// reports which stream an McpServer's pods share.

/** The name token used when a gateway has no identity (a standalone gateway without GATEWAY_ID). */
export const DEFAULT_STREAM_TOKEN = 'gateway';

/** A config identity ("team-a/alpha", "host:8080") as a name token: characters outside A-Z a-z 0-9 - become _. */
export function nameToken(identity: string): string {
  return identity.replace(/[^A-Za-z0-9-]/g, '_');
}

/** The events stream and its subject prefix: as configured, else `mcp_<id>` and `mcp.<id>`. */
export function jetStreamNames(
  identity: string | undefined,
  stream: { name?: string | undefined; subjectPrefix?: string | undefined },
): { stream: string; subjectPrefix: string } {
  const token = nameToken(identity ?? DEFAULT_STREAM_TOKEN);
  return { stream: stream.name ?? `mcp_${token}`, subjectPrefix: stream.subjectPrefix ?? `mcp.${token}` };
}

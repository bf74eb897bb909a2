// events.k8s.io eventTime/series.lastObservedTime and Lease acquire/renew times are MicroTime:
// RFC 3339 with exactly six fractional digits, or the API server rejects the write. client-node
// 1.4's V1MicroTime serializes that way (a plain Date would give three digits), but on reads it
// hands back the raw string, typed as a Date: parse what you read with parseMicroTime.
import { V1MicroTime } from '@kubernetes/client-node';

export function microTime(epochMs: number): V1MicroTime {
  return new V1MicroTime(epochMs);
}

/** Epoch ms from a MicroTime/Time as client-node returns it (string at runtime, Date in the types). */
export function parseMicroTime(value: Date | string | undefined | null): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

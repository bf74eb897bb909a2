// The vocabulary of `retryOn` (forwarding.retry and a route's delivery.retry): which answers from
// a forwarding target are worth another attempt. Shared by the gateway config schema, the CRDs and
// the gateway's classification (gateway/forwarding/retry-policy.ts).
// - HTTP statuses (400) and classes ("5xx") judge http(s) targets; gRPC status names (UNAVAILABLE)
//   judge grpc:// targets. A list with no entry of one kind leaves that kind at its default.
// - No answer at all is always retried: a connection refused or reset, or a timeout (for gRPC,
//   UNAVAILABLE and DEADLINE_EXCEEDED, which is how it reports those).

export const GRPC_STATUS_NAMES = [
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;
export type GrpcStatusName = (typeof GRPC_STATUS_NAMES)[number];

export type HttpStatusClass = '3xx' | '4xx' | '5xx';
/** An HTTP status (300-599), an HTTP status class, or a gRPC status name. */
export type RetryOnEntry = number | HttpStatusClass | GrpcStatusName;

/** Today's rules: transient HTTP answers, and the gRPC statuses after which the same event may succeed. */
export const DEFAULT_HTTP_RETRY_ON: readonly RetryOnEntry[] = ['5xx', 404, 408, 409, 429];
export const DEFAULT_GRPC_RETRY_ON: readonly RetryOnEntry[] = [
  'CANCELLED',
  'UNKNOWN',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'RESOURCE_EXHAUSTED',
  'ABORTED',
  'INTERNAL',
  'UNAVAILABLE',
];
export const DEFAULT_RETRY_ON: readonly RetryOnEntry[] = [...DEFAULT_HTTP_RETRY_ON, ...DEFAULT_GRPC_RETRY_ON];

/** 2xx is a delivery and 1xx never reaches the caller, so neither can be retried on. */
export const MIN_RETRY_STATUS = 300;
export const MAX_RETRY_STATUS = 599;
export const RETRY_ON_HELP = 'an HTTP status from 300 to 599 (400), a class ("4xx", "5xx") or a gRPC status name (UNAVAILABLE)';

const GRPC_NAMES = new Set<string>(GRPC_STATUS_NAMES);

/** One entry as written (a number, or text as YAML or an environment variable gives it), or undefined if it is none. */
export function parseRetryOnEntry(value: unknown): RetryOnEntry | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= MIN_RETRY_STATUS && value <= MAX_RETRY_STATUS ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d{3}$/.test(text)) return parseRetryOnEntry(Number(text));
  if (/^[345]xx$/i.test(text)) return text.toLowerCase() as HttpStatusClass;
  const name = text.toUpperCase();
  return GRPC_NAMES.has(name) ? (name as GrpcStatusName) : undefined;
}

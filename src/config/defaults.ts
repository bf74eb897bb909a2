// Gateway defaults, in one place: the config schema fills them in, the CRDs show them.
export const GATEWAY_DEFAULTS = {
  logLevel: 'info',
  host: '0.0.0.0',
  httpPort: 8080,
  grpcPort: 50051,
  healthPort: 8082,
  maxEventSize: 1024 * 1024,
  bufferSize: 1000,
  maxConnections: 100,
  maxBatchSize: 100,
  maxBatchBytes: 10 * 1024 * 1024,
  requestTimeoutMs: 10_000,
  subscriberQueueSize: 1000,
  historySize: 10_000,
  historyRetentionMs: 3_600_000,
  forwardTimeoutMs: 30_000,
  shutdownGracePeriodMs: 10_000,
} as const;

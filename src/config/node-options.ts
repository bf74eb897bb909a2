// The V8 settings a gateway process runs with, in one place: the image (Dockerfile), `make
// gateway` and the bench use the defaults; the operator sizes them to the pod's limits and sets
// them as NODE_OPTIONS. Measured in `make bench` (memory scenario; see test/bench/README.md).

/** V8's worker threads when the CPU limit is unknown: each costs memory (its own malloc arena,
 * compile and GC scratch space), and the gateway's JavaScript runs on one thread anyway. */
export const DEFAULT_V8_POOL_SIZE = 2;
const MAX_V8_POOL_SIZE = 4;

/** The part of a memory limit given to V8's old generation; the rest is for the young
 * generation, code, Buffers outside the heap and Node itself. */
const OLD_SPACE_SHARE = 0.75;

export interface PodLimits {
  /** Cores (limits.cpu), e.g. 0.5 or 2. */
  cpu?: number | undefined;
  /** Bytes (limits.memory). */
  memoryBytes?: number | undefined;
}

/** Node command-line options for a gateway within these limits (none given: the defaults). */
export function gatewayNodeOptions(limits: PodLimits = {}): string[] {
  const poolSize = limits.cpu !== undefined && limits.cpu > 0 ? Math.min(MAX_V8_POOL_SIZE, Math.ceil(limits.cpu)) : DEFAULT_V8_POOL_SIZE;
  // The young generation keeps V8's default size (make bench, memory/http/forwarding): 8 MiB
  // semi-spaces lowered the peak RSS of a sustained run by ~12 MiB (1.78x idle instead of 1.99x)
  // but cost HTTP ingest ~10% of its requests per CPU-second; 4 MiB cost forwarding 10-15%.
  const options = [`--v8-pool-size=${poolSize}`];
  // Without a limit V8 sizes the heap from the machine's (or cgroup's) memory itself. With one,
  // the old generation is capped below it: a heap that outgrows it fails with a V8 heap error
  // that names the cause, rather than the kernel's OOM kill.
  if (limits.memoryBytes !== undefined && limits.memoryBytes > 0) {
    options.push(`--max-old-space-size=${Math.max(16, Math.floor((limits.memoryBytes / 2 ** 20) * OLD_SPACE_SHARE))}`);
  }
  return options;
}

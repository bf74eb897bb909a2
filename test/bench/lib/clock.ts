// One clock for every bench process. process.hrtime reads CLOCK_MONOTONIC, which is system-wide
// on Linux, so a send time taken in the producer and a receive time taken in a subscriber
// worker are directly comparable, with sub-microsecond resolution (Date.now() has 1 ms).
export function monotonicMicros(): number {
  const [seconds, nanos] = process.hrtime();
  return seconds * 1e6 + nanos / 1e3;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

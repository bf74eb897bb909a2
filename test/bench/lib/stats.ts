// Latency statistics. Fan-out produces millions of samples (1,000 streams x thousands of
// events/s), too many to keep, so samples go into a log-bucketed histogram (1% relative
// precision) that workers can ship back over IPC and the parent can merge.

/** Smallest distinguishable value (µs); everything below lands in bucket 0. */
const MIN_US = 1;
/** Bucket width as a ratio: 1.01 gives 1% relative error on any percentile. */
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
/** Enough buckets to reach ~17 minutes in µs; later values are clamped into the last one. */
const BUCKETS = Math.ceil(Math.log(1e9 / MIN_US) / LOG_GROWTH) + 1;

export interface HistogramData {
  counts: Record<number, number>;
  total: number;
  max: number;
  sum: number;
}

export class Histogram {
  private counts = new Float64Array(BUCKETS);
  total = 0;
  max = 0;
  sum = 0;

  record(valueUs: number): void {
    const v = valueUs < MIN_US ? MIN_US : valueUs;
    let index = Math.floor(Math.log(v / MIN_US) / LOG_GROWTH);
    if (index >= BUCKETS) index = BUCKETS - 1;
    this.counts[index]!++;
    this.total++;
    this.sum += valueUs;
    if (valueUs > this.max) this.max = valueUs;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.max = 0;
    this.sum = 0;
  }

  /** Sparse form, for IPC. */
  toJSON(): HistogramData {
    const counts: Record<number, number> = {};
    this.counts.forEach((count, index) => {
      if (count > 0) counts[index] = count;
    });
    return { counts, total: this.total, max: this.max, sum: this.sum };
  }

  merge(data: HistogramData): void {
    for (const [index, count] of Object.entries(data.counts)) this.counts[Number(index)]! += count;
    this.total += data.total;
    this.sum += data.sum;
    if (data.max > this.max) this.max = data.max;
  }

  /** Value (µs) at quantile q in [0, 1]: the upper edge of the bucket holding it. */
  percentile(q: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(MIN_US * GROWTH ** (i + 1), this.max);
    }
    return this.max;
  }

  mean(): number {
    return this.total === 0 ? NaN : this.sum / this.total;
  }
}

/** Exact percentile of a small array of numbers (nearest-rank). */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function median(values: readonly number[]): number {
  return percentile(values, 0.5);
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

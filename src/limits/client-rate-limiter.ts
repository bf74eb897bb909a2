// Per-client token buckets (keyed by API key id, token subject, or client address), held in a
// map bounded by `maxClients`: the least recently seen client is forgotten first. Forgetting a
// client only gives it a fresh, full bucket, the state of any client idle long enough to refill.
import { TokenBucket } from './token-bucket.js';

export interface ClientRateLimiterOptions {
  eventsPerSecond: number;
  burst: number;
  maxClients: number;
  now?: () => number;
}

export class ClientRateLimiter {
  /** Map order is recency order: a client is moved to the end when seen. */
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly now: () => number;
  evicted = 0;

  constructor(private readonly options: ClientRateLimiterOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Takes `count` tokens from the client's bucket; returns 0 when taken, else whole seconds to wait. */
  take(client: string, count = 1): number {
    const bucket = this.bucketOf(client);
    return bucket.tryTake(count) ? 0 : bucket.secondsUntil(count);
  }

  private bucketOf(client: string): TokenBucket {
    let bucket = this.buckets.get(client);
    if (bucket) {
      this.buckets.delete(client);
    } else {
      bucket = new TokenBucket(this.options.eventsPerSecond, this.options.burst, this.now);
      if (this.buckets.size >= this.options.maxClients) {
        this.buckets.delete(this.buckets.keys().next().value!);
        this.evicted++;
      }
    }
    this.buckets.set(client, bucket);
    return bucket;
  }
}

// Who gets the log's room when there is not enough for everyone: callers wait their turn, in
// arrival order, for at most `maxWaitMs`, and are admitted one at a time (each appends before the
// next is looked at), so a burst is slowed to what the log and its consumers take rather than
// refused, and a caller that arrived later never overtakes one that is waiting.

/** What admission asks of the log (EventLog.hasRoomFor). */
export interface Room {
  hasRoomFor(count: number): boolean;
}

interface Waiter {
  count: number;
  deadline: number;
  resolve: (admitted: boolean) => void;
}

/** How often waiting callers look for room again: room comes back as the log dispatches and targets answer. */
const POLL_MS = 2;

/**
 * Resolves true once `room` has space for `count` more events, or false after `timeoutMs`,
 * without taking a turn (a gRPC stream that pauses its sender until it can go on).
 */
export async function waitForRoom(room: Room, count: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!room.hasRoomFor(count)) {
    const left = deadline - performance.now();
    if (left <= 0) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, left)));
  }
  return true;
}

export class Admission {
  private readonly waiting: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly room: Room,
    private readonly maxWaitMs: number,
  ) {}

  /** Callers waiting for room now. */
  get waiters(): number {
    return this.waiting.length;
  }

  /** True when `count` events may be appended now: nobody waits ahead and the log has room. */
  admitNow(count: number): boolean {
    return this.waiting.length === 0 && this.room.hasRoomFor(count);
  }

  /**
   * True (synchronously, the common case) when `count` events may be appended now; otherwise a
   * promise of whether room came within the wait. The caller appends at once when admitted.
   */
  admit(count: number): boolean | Promise<boolean> {
    if (this.admitNow(count)) return true;
    if (this.maxWaitMs <= 0) return false;
    return new Promise((resolve) => {
      this.waiting.push({ count, deadline: performance.now() + this.maxWaitMs, resolve });
      this.timer ??= setTimeout(this.poll, POLL_MS);
    });
  }

  private readonly poll = (): void => {
    this.timer = undefined;
    const now = performance.now();
    // The first waiter with room is admitted alone: the next is looked at once it has appended.
    const first = this.waiting[0];
    if (first && this.room.hasRoomFor(first.count)) {
      this.waiting.shift();
      first.resolve(true);
      if (this.waiting.length > 0) this.timer = setTimeout(this.poll, 0);
      return;
    }
    while (this.waiting.length > 0 && this.waiting[0]!.deadline <= now) this.waiting.shift()!.resolve(false);
    if (this.waiting.length > 0) this.timer = setTimeout(this.poll, POLL_MS);
  };
}

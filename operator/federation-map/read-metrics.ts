// GET one gateway's /metrics, bounded in time and size: a gateway that hangs or answers without
// end costs the map one timeout and a few megabytes at most.

export interface ReadLimits {
  timeoutMs: number;
  /** Larger answers are cut off and count as failed. */
  maxBytes: number;
}

/** A read that failed, with a message for the map ("timed out after 2000 ms", "answered 503"). */
export class MetricsReadError extends Error {}

export async function readMetricsText(url: string, limits: ReadLimits, signal?: AbortSignal): Promise<string> {
  // Its own controller, so nothing stays attached to the long-lived `signal` after the read.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, limits.timeoutMs);
  const onStop = () => controller.abort();
  signal?.addEventListener('abort', onStop, { once: true });
  try {
    const response = await fetch(url, { signal: controller.signal, headers: { accept: 'text/plain' }, redirect: 'error' });
    if (!response.ok) {
      await response.body?.cancel();
      throw new MetricsReadError(`answered ${response.status}`);
    }
    if (!response.body) return '';
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limits.maxBytes) {
        await reader.cancel();
        throw new MetricsReadError(`answered more than ${limits.maxBytes} bytes`);
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks).toString('utf8');
  } catch (error) {
    if (error instanceof MetricsReadError) throw error;
    if (timedOut) throw new MetricsReadError(`timed out after ${limits.timeoutMs} ms`);
    if (signal?.aborted) throw new MetricsReadError('stopped');
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new MetricsReadError(`unreachable: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onStop);
  }
}

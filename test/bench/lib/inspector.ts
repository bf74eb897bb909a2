// A full garbage collection in another Node process, through its inspector (started with
// --inspect=127.0.0.1:<port>): memory is then read after the same collection in every process
// compared, not after whatever garbage each happened to hold.
import WebSocket from 'ws';

/** The node flag that opens the inspector on `port`. */
export const inspectFlag = (port: number) => `--inspect=127.0.0.1:${port}`;

export async function collectGarbage(port: number, timeoutMs = 10_000): Promise<void> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(timeoutMs) })).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on port ${port}`);
  const socket = new WebSocket(url);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from the inspector on port ${port} within ${timeoutMs} ms`)), timeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once('open', () => socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' })));
      socket.on('message', (data) => {
        if ((JSON.parse(String(data)) as { id?: number }).id !== 1) return;
        clearTimeout(timer);
        resolve();
      });
    });
  } finally {
    socket.close();
  }
}

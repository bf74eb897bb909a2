// Work coalesced to the end of the caller's turn: whatever the caller does synchronously (many
// events queued, many records made) is handled by one run right after it.

/** Returns a trigger that runs `work` once, in a microtask after the current synchronous code,
 * however many times it is called before then. */
export function afterTurn(work: () => void): () => void {
  let queued = false;
  const run = () => {
    queued = false;
    work();
  };
  return () => {
    if (queued) return;
    queued = true;
    queueMicrotask(run);
  };
}

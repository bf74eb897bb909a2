// Exit 0 when node_modules holds what package-lock.json pins, 1 when it does not (or is missing).
// Compares with npm's own record of what it installed (node_modules/.package-lock.json): every
// locked package present at its version, nothing extra. Optional platform packages npm skipped
// (another OS or CPU) do not count as missing.
import { readFileSync } from 'node:fs';

const read = (path) => {
  try {
    return JSON.parse(readFileSync(path, 'utf8')).packages ?? {};
  } catch {
    return undefined;
  }
};
const locked = read('package-lock.json');
const installed = read('node_modules/.package-lock.json');
if (!locked || !installed) process.exit(1);
for (const [path, entry] of Object.entries(locked)) {
  if (path === '') continue;
  const have = installed[path];
  if (!have) {
    if (entry.optional || entry.os || entry.cpu) continue;
    process.exit(1);
  }
  if (have.version !== entry.version) process.exit(1);
}
for (const path of Object.keys(installed)) if (!(path in locked)) process.exit(1);

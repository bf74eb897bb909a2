// Writes crds/ from the API definitions: `make crds`.
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CRD_DIR } from '../paths.js';
import { renderCrdFiles } from './crds.js';

const files = renderCrdFiles();
for (const stale of readdirSync(CRD_DIR).filter((name) => name.endsWith('.yaml') && !files.has(name))) {
  rmSync(join(CRD_DIR, stale));
}
for (const [name, text] of files) writeFileSync(join(CRD_DIR, name), text);
process.stdout.write(`wrote ${[...files.keys()].join(', ')} to ${CRD_DIR}\n`);

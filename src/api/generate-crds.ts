// Writes crds/ (and the same CRDs into the Helm chart, charts/tas-mcp/crds) from the API
// definitions: `make crds`.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHART_CRD_DIR, CRD_DIR } from '../paths.js';
import { renderCrdFiles } from './crds.js';

const files = renderCrdFiles();
const chartFiles = new Map([...files].filter(([name]) => name !== 'kustomization.yaml'));
for (const [dir, wanted] of [
  [CRD_DIR, files],
  [CHART_CRD_DIR, chartFiles],
] as const) {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  for (const stale of readdirSync(dir).filter((name) => name.endsWith('.yaml') && !wanted.has(name))) rmSync(join(dir, stale));
  for (const [name, text] of wanted) writeFileSync(join(dir, name), text);
  process.stdout.write(`wrote ${[...wanted.keys()].join(', ')} to ${dir}\n`);
}

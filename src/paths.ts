// Locations inside the project, found from this file so they hold both for the TypeScript
// sources (tests) and for the compiled output in dist/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findProjectRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'proto'))) return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find the project root (package.json and proto/) above ${start}`);
  }
}

export const PROJECT_ROOT = findProjectRoot(dirname(fileURLToPath(import.meta.url)));
export const PROTO_DIR = join(PROJECT_ROOT, 'proto');
export const CRD_DIR = join(PROJECT_ROOT, 'crds');
/** The Helm chart's CRDs: the same files as crds/ (without the kustomization), written by `make crds`. */
export const CHART_CRD_DIR = join(PROJECT_ROOT, 'charts', 'tas-mcp', 'crds');

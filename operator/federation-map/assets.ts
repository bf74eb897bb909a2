// The map's page: one HTML file and one JS module from web/ beside this module's sources, and
// Cytoscape.js's ES module build from node_modules (a runtime dependency: nothing is fetched from
// a CDN, so the map works offline). Read once at start-up; a missing file stops the map there,
// naming it, instead of failing on the first page load.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from '../../src/paths.js';

export interface MapAsset {
  body: Buffer;
  contentType: string;
}

export interface MapAssets {
  /** By URL path. */
  files: Map<string, MapAsset>;
}

export const WEB_DIR = join(PROJECT_ROOT, 'operator', 'federation-map', 'web');

/** Cytoscape's ES module build; its package exports it for `import` only, so it is found beside the CommonJS entry. */
export function cytoscapeModulePath(): string {
  return join(dirname(createRequire(import.meta.url).resolve('cytoscape')), 'cytoscape.esm.min.mjs');
}

export function loadMapAssets(webDir = WEB_DIR): MapAssets {
  const read = (path: string, contentType: string): MapAsset => {
    try {
      return { body: readFileSync(path), contentType };
    } catch (error) {
      throw new Error(`federation map: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
    }
  };
  return {
    files: new Map([
      ['/', read(join(webDir, 'index.html'), 'text/html; charset=utf-8')],
      ['/map.js', read(join(webDir, 'map.js'), 'text/javascript; charset=utf-8')],
      ['/vendor/cytoscape.esm.min.mjs', read(cytoscapeModulePath(), 'text/javascript; charset=utf-8')],
    ]),
  };
}

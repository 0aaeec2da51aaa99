// After `vite build`: add the Redoc bundle for /docs and the fingerprint of the sources.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceHash } from './sourcehash.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
mkdirSync(join(dist, 'docs'), { recursive: true });
for (const f of ['redoc.standalone.js', 'redoc.standalone.js.LICENSE.txt']) {
  copyFileSync(join(root, 'node_modules/redoc/bundles', f), join(dist, 'docs', f));
}
writeFileSync(join(dist, 'build-source.txt'), sourceHash(root) + '\n');

// After `vite build`: add the Redoc bundle for /docs and the fingerprint of the sources.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceHash } from './sourcehash.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
mkdirSync(join(dist, 'docs'), { recursive: true });
copyFileSync(join(root, 'node_modules/redoc/bundles/redoc.standalone.js.LICENSE.txt'), join(dist, 'docs/redoc.standalone.js.LICENSE.txt'));
// Redoc shows its maker's logo from a CDN; the docs page must ask nothing of another host, so
// the address becomes an empty data URL, which fails to load and makes Redoc leave the logo out.
const cdnLogo = 'https://cdn.redoc.ly/redoc/logo-mini.svg';
const redoc = readFileSync(join(root, 'node_modules/redoc/bundles/redoc.standalone.js'), 'utf8');
if (!redoc.includes(cdnLogo)) console.warn(`postbuild: ${cdnLogo} no longer in Redoc's bundle; check the docs page's requests`);
writeFileSync(join(dist, 'docs/redoc.standalone.js'), redoc.replaceAll(cdnLogo, 'data:,'));
writeFileSync(join(dist, 'build-source.txt'), sourceHash(root) + '\n');

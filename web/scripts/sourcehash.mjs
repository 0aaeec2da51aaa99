// The fingerprint of what the build is made from. web/embed_test.go computes the same in Go,
// so a test fails when dist/ was not rebuilt after a source change.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

// Keep in step with sourceFiles in web/embed_test.go.
export const rootFiles = ['index.html', 'package.json', 'package-lock.json', 'tsconfig.json', 'vite.config.ts',
  'scripts/postbuild.mjs', 'scripts/sourcehash.mjs'];
export const generated = 'src/api/schema.d.ts';

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

export function sourceHash(root) {
  const files = [...rootFiles, ...walk(join(root, 'src'), []).map((p) => relative(root, p).split(sep).join('/'))]
    .filter((p) => p !== generated)
    .sort();
  const h = createHash('sha256');
  for (const f of files) {
    const sum = createHash('sha256').update(readFileSync(join(root, f))).digest('hex');
    h.update(`${f}\0${sum}\n`);
  }
  return h.digest('hex');
}

// `make crds`: writes crds/ from the schema and removes CRD files it no longer produces.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crdDirectory, renderCrdFiles } from './crds.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const files = renderCrdFiles();
mkdirSync(path.join(repoRoot, crdDirectory), { recursive: true });
for (const file of files) {
  writeFileSync(path.join(repoRoot, file.path), file.text);
  console.log(`wrote ${file.path}`);
}
const written = new Set(files.map((file) => path.basename(file.path)));
for (const name of readdirSync(path.join(repoRoot, crdDirectory))) {
  if (name.endsWith('.yaml') && !written.has(name)) {
    rmSync(path.join(repoRoot, crdDirectory, name));
    console.log(`removed ${crdDirectory}/${name}`);
  }
}

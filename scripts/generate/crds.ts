// `make crds`: writes the CRDs rendered from the schema into crds/ and into the chart's
// helm/furrow/crds/, and removes CRD files they no longer produce. Not shipped: the image
// holds src/ only. test/unit/resources/crds-fresh.test.ts fails when either folder is stale.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crdDirectories, renderCrdFiles } from '../../src/resources/schema/crds.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const files = renderCrdFiles();
const names = new Set(files.map((file) => path.basename(file.path)));
for (const directory of crdDirectories) {
  mkdirSync(path.join(repoRoot, directory), { recursive: true });
  for (const file of files) {
    const target = `${directory}/${path.basename(file.path)}`;
    writeFileSync(path.join(repoRoot, target), file.text);
    console.log(`wrote ${target}`);
  }
  for (const name of readdirSync(path.join(repoRoot, directory))) {
    if (name.endsWith('.yaml') && !names.has(name)) {
      rmSync(path.join(repoRoot, directory, name));
      console.log(`removed ${directory}/${name}`);
    }
  }
}

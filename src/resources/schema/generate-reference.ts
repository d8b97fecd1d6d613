// `make crds` (after the CRDs): writes docs/reference.md, the field reference, from the schema.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { referencePath, renderReference } from './reference.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
writeFileSync(path.join(repoRoot, referencePath), renderReference());
console.log(`wrote ${referencePath}`);

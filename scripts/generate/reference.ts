// `make crds` (after the CRDs): writes docs/reference.md, the field reference, from the schema.
// Not shipped: the image holds src/ only. test/unit/resources/reference-fresh.test.ts fails
// when it is stale.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { referencePath, renderReference } from '../../src/resources/schema/reference.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
writeFileSync(path.join(repoRoot, referencePath), renderReference());
console.log(`wrote ${referencePath}`);

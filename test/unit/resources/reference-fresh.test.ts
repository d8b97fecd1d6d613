// docs/reference.md is generated from the schema like crds/: a schema change must come with
// the reference users read.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { referencePath, renderReference } from '../../../src/resources/schema/reference.ts';
import { repoRoot } from '../../support/paths.ts';

test('docs/reference.md holds exactly what `make crds` generates', () => {
  const onDisk = readFileSync(path.join(repoRoot, referencePath), 'utf8');
  assert.ok(onDisk === renderReference(), `${referencePath} is stale: run \`make crds\``);
});

test('the reference lists every field with its type and description', () => {
  const text = renderReference();
  for (const row of [
    /^\| `spec\.pool` \| string \(DNS subdomain\), ≤ 63 chars \| {2}\| \*\*Required\.\*\* Name of the NodePool/m,
    /^\| `spec\.steps\[\]\.onError` \| `stopAndFail`, `continue` \| `"stopAndFail"` \| What a failure/m,
    /^\| `spec\.timeout` \| duration \| `"1h"` \| /m,
    /^\| `spec\.nodeSelector\.matchLabels` \| map\[string\]string/m,
    /^\| `status\.steps\[\]\.exitCode` \| integer \(int32\) \| {2}\| Exit code/m,
  ])
    assert.match(text, row);
  assert.doesNotMatch(
    text,
    /^\| `[^`]+` \| [^|]+ \| [^|]* \| (\*\*Required\.\*\* )? \|$/m,
    'a field without a description',
  );
});

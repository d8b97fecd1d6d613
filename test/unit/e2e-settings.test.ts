// The suite's cluster settings reach the global setup whole: a variable dropped by the parser
// (FURROW_S3_PORT once, for its digit) would put the suite's cluster on make up's ports.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { clusterScripts, e2eClusterSettings } from '../support/paths.ts';

test('every setting in test/cluster/e2e.env is read', () => {
  const lines = readFileSync(path.join(clusterScripts, 'e2e.env'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'));
  assert.ok(lines.length >= 10);
  assert.deepEqual(
    Object.keys(e2eClusterSettings).sort(),
    lines.map((l) => l.slice(0, l.indexOf('='))).sort(),
  );
  assert.equal(e2eClusterSettings.FURROW_S3_PORT, '19100');
});

// Every example applies (server-side dry run), and the API server stores it with exactly the
// defaults the operator's validator fills in.
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, test } from 'node:test';
import { kubectl, testNamespace } from '../support/kube.ts';
import { examples, examplesDir } from '../support/fixtures.ts';
import { installCrds } from '../support/furrow.ts';
import { withNodePoolDefaults, withPipelineRunDefaults } from '../../src/resources/validate.ts';
import type { NodePool, PipelineRun } from '../../src/resources/types.ts';

before(installCrds);

test('every example applies with a server-side dry run, defaulted as the validator defaults it', async (t) => {
  const namespace = await testNamespace(t, 'examples');
  for (const { file, manifest } of examples()) {
    await t.test(file, () => {
      const args = [
        'apply',
        '--dry-run=server',
        '-n',
        namespace,
        '-o',
        'json',
        '-f',
        path.join(examplesDir, file),
      ];
      const result = kubectl(args);
      assert.equal(result.code, 0, result.stderr);
      const stored = JSON.parse(result.stdout) as { spec: unknown };
      const expected =
        manifest.kind === 'NodePool'
          ? withNodePoolDefaults(manifest as unknown as NodePool).spec
          : withPipelineRunDefaults(manifest as unknown as PipelineRun).spec;
      assert.deepEqual(stored.spec, expected);
    });
  }
});

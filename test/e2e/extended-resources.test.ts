// A run may request only the extended resources its pool allows (runner.allowedExtendedResources):
// on nodes that have both GPUs and FPGAs, a pool that allows only FPGAs refuses a GPU run before
// it gets a pod, naming the resource and the field, and runs an FPGA run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { furrowEnv, sim } from '../support/env.ts';
import { testImage } from '../support/images.ts';

const asking = (resource: string) => ({
  image: testImage,
  steps: [{ name: 'train', script: 'make', resources: { limits: { [resource]: 1 } } }],
});

test('a run asking for an extended resource its pool does not allow fails at once without a pod; an allowed one runs', async (t) => {
  const env = await furrowEnv(t, {
    nodes: 1,
    nodeResources: { 'nvidia.com/gpu': '2', 'example.com/fpga': '2' },
    pool: { runner: { allowedExtendedResources: ['example.com/fpga'] } },
  });
  const started = Date.now();
  await env.createRun('gpu', asking('nvidia.com/gpu'), { annotations: sim('200ms') });
  const refused = await env.waitForPhase('gpu', 'Failed', { timeoutMs: 30_000 });
  assert.equal(refused.status?.reason, 'ExtendedResourceNotAllowed');
  assert.match(
    refused.status?.message ?? '',
    /does not allow the extended resource nvidia\.com\/gpu \(its spec\.runner\.allowedExtendedResources: example\.com\/fpga\)/,
  );
  assert.ok(Date.now() - started < 30_000, 'at once');
  assert.equal(refused.status?.attempt, undefined, 'no attempt was made: no pod');
  assert.equal((await env.pods()).length, 0, 'no runner pod');

  await env.createRun('fpga', asking('example.com/fpga'), { annotations: sim('200ms') });
  await env.waitForPhase('fpga', 'Succeeded', { timeoutMs: 60_000 });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expiredRuns } from '../../../../src/resources/logs/retention.ts';

const day = 86_400_000;
const now = Date.parse('2026-12-02T00:00:00Z');
const at = (daysAgo: number) => new Date(now - daysAgo * day);

test('expiredRuns: gone and older than the retention, judged by the newest object of the run', () => {
  const objects = [
    // old, run gone: expired
    { key: 'logs/v1/ci/a/u1/attempt-1/00-test.log', lastModified: at(40) },
    { key: 'logs/v1/ci/a/u1/attempt-1/manifest.json', lastModified: at(40) },
    // attempt 2 recent: the run's newest object keeps it
    { key: 'logs/v1/ci/b/u2/attempt-1/manifest.json', lastModified: at(40) },
    { key: 'logs/v1/ci/b/u2/attempt-2/manifest.json', lastModified: at(3) },
    // old but the PipelineRun still exists
    { key: 'logs/v1/ci/c/u3/attempt-1/manifest.json', lastModified: at(90) },
    // not a log key
    { key: 'caches/ci/x', lastModified: at(400) },
  ];
  assert.deepEqual(expiredRuns(objects, new Set(['u3']), now, 30 * day), [
    { namespace: 'ci', name: 'a', uid: 'u1' },
  ]);
  assert.deepEqual(expiredRuns(objects, new Set(), now, 100 * day), []);
});

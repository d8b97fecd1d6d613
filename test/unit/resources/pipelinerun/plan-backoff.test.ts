// retries.backoff, as its description says: the first retry waits the backoff, each further
// one twice as long as the one before, up to 1h; attempts lost to the infrastructure neither
// wait nor count.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planRun, type PlanConfig } from '../../../../src/resources/pipelinerun/plan.ts';
import type { AttemptStatus } from '../../../../src/resources/types.ts';
import { at, gitImage, iso, makePool, makeRun, withStatus } from '../../../support/builders.ts';

const config: PlanConfig = {
  defaultTtlSeconds: undefined,
  defaultPendingTimeoutMs: 300_000,
  maxInfrastructureRetries: 2,
  gitImage,
};

/** Earlier attempts, all finished: true counts against retries.limit, false was the infrastructure's. */
function earlier(counts: boolean[]): AttemptStatus[] {
  return counts.map((countsAgainstLimit, i) => ({
    attempt: i + 1,
    phase: 'Failed',
    reason: countsAgainstLimit ? 'StepFailed' : 'NodeLost',
    countsAgainstLimit,
    startTime: iso(i * 10),
    completionTime: iso(i * 10 + 5),
  }));
}

test('retries.backoff doubles with each counted retry, up to 1h', () => {
  const cases: { name: string; backoff?: string; earlier: boolean[]; wantMs: number }[] = [
    { name: 'first retry: the default 10s', earlier: [], wantMs: 10_000 },
    { name: 'second retry: twice that', earlier: [true], wantMs: 20_000 },
    { name: 'fourth retry: 8 times', earlier: [true, true, true], wantMs: 80_000 },
    { name: 'a 1m backoff, third retry', backoff: '1m', earlier: [true, true], wantMs: 240_000 },
    { name: 'capped at 1h', backoff: '20m', earlier: [true, true, true], wantMs: 3_600_000 },
    { name: 'infrastructure losses before don’t double it', earlier: [false, false, true], wantMs: 20_000 },
  ];
  for (const c of cases) {
    const run = withStatus(
      makeRun({ spec: { retries: { limit: 10, ...(c.backoff ? { backoff: c.backoff } : {}) } } }),
      { phase: 'Pending', attempt: c.earlier.length + 1, startTime: iso(0), attempts: earlier(c.earlier) },
    );
    const out = planRun({
      run,
      now: at(100),
      pods: [],
      pool: makePool(),
      admission: { state: 'admitted' },
      config,
      podRejected: 'forbidden',
    });
    assert.equal(out.status.reason, 'Retrying', c.name);
    assert.equal(out.requeueAfterMs, c.wantMs, c.name);
  }
});

// Which attempt is in play, table by table: the run's status as last written and the pods that
// exist → the attempt, its pod, whether the status recorded it, and when the run started.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from '../../../../../src/kube/json.ts';
import { attemptInPlay } from '../../../../../src/resources/pipelinerun/plan/attempt.ts';
import type { AttemptStatus, PipelineRunStatus } from '../../../../../src/resources/types.ts';
import { at, iso, makePod, makeRun, running, terminated } from '../../../../support/builders.ts';

const run = makeRun({ spec: { steps: [{ name: 'build', command: ['make'] }] } });
const live = (attempt: number, created: number): Pod =>
  makePod(run, { attempt, created, nodeName: 'node-1', states: { build: running(created + 1) } });
const failed = (attempt: number, created: number): Pod =>
  makePod(run, {
    attempt,
    created,
    phase: 'Failed',
    nodeName: 'node-1',
    states: { build: terminated(1, created + 1, created + 5) },
  });
const record = (attempt: number, closedAt?: number): AttemptStatus => ({
  attempt,
  podName: `app-${attempt}`,
  startTime: iso(10 * attempt),
  phase: closedAt === undefined ? 'Running' : 'Failed',
  ...(closedAt === undefined ? {} : { completionTime: iso(closedAt), reason: 'Error', message: 'x' }),
});
const status = (attempt: number, attempts: AttemptStatus[]): PipelineRunStatus => ({
  phase: 'Running',
  attempt,
  podName: `app-${attempt}`,
  startTime: iso(10),
  attempts,
});

interface Case {
  name: string;
  old: PipelineRunStatus;
  pods: Pod[];
  attempt: number;
  recorded: boolean;
  /** When the run started: its status's startTime, else its first pod's creation. */
  startedAt: number | undefined;
}

const cases: Case[] = [
  {
    name: 'a fresh run: attempt 1, not started',
    old: {},
    pods: [],
    attempt: 1,
    recorded: false,
    startedAt: undefined,
  },
  {
    name: 'attempt 1’s pod, no status yet: attempt 1, started when the pod was created',
    old: {},
    pods: [live(1, 10)],
    attempt: 1,
    recorded: false,
    startedAt: at(10),
  },
  {
    name: 'attempt 1 recorded and open: attempt 1',
    old: status(1, [record(1)]),
    pods: [live(1, 10)],
    attempt: 1,
    recorded: true,
    startedAt: at(10),
  },
  {
    name: 'attempt 1 recorded and closed: attempt 2 is next',
    old: status(1, [record(1, 15)]),
    pods: [failed(1, 10)],
    attempt: 2,
    recorded: false,
    startedAt: at(10),
  },
  {
    name: 'a pod of a later attempt than the status says: carry on with it',
    old: status(1, [record(1, 15)]),
    pods: [failed(1, 10), live(2, 20)],
    attempt: 2,
    recorded: false,
    startedAt: at(10),
  },
  {
    name: 'a status ahead of the pods: the live pod no record closes stays in play',
    old: status(3, [record(1), record(3)]),
    pods: [live(1, 10)],
    attempt: 1,
    recorded: false,
    startedAt: at(10),
  },
];

for (const c of cases) {
  test(`attempt in play: ${c.name}`, () => {
    const got = attemptInPlay('app', c.old, c.pods);
    assert.equal(got.attempt, c.attempt, 'attempt');
    assert.equal(got.podName, `app-${c.attempt}`, 'podName');
    assert.equal(
      got.pod,
      c.pods.find((p) => p.metadata?.name === `app-${c.attempt}`),
    );
    assert.equal(got.attemptRecorded, c.recorded, 'attemptRecorded');
    assert.equal(got.startedAt, c.startedAt, 'startedAt');
  });
}

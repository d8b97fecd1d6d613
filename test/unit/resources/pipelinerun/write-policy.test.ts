// When a run's status is written, and the merge patch that writes it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decideStatusWrite,
  progressWriteIntervalMs,
  queueFrontPositions,
  queuePositionWriteIntervalMs,
  statusMergePatch,
} from '../../../../src/resources/pipelinerun/write-policy.ts';
import type { WriteDecision } from '../../../../src/resources/api.ts';
import type { PipelineRunStatus } from '../../../../src/resources/types.ts';

const cond = (type: string, status: 'True' | 'False' | 'Unknown', reason: string) => ({
  type,
  status,
  reason,
  message: '',
  lastTransitionTime: '2025-06-02T10:00:00Z',
});

const running: PipelineRunStatus = {
  phase: 'Running',
  reason: 'Running',
  message: 'step build is running',
  attempt: 1,
  podName: 'app-1',
  currentStep: 'build',
  conditions: [cond('Admitted', 'True', 'Admitted'), cond('Succeeded', 'Unknown', 'Running')],
  steps: [
    { name: 'build', state: 'running' },
    { name: 'test', state: 'waiting' },
  ],
};
const stepDone: PipelineRunStatus = {
  ...running,
  message: 'step test is running',
  currentStep: 'test',
  steps: [
    { name: 'build', state: 'succeeded', exitCode: 0 },
    { name: 'test', state: 'running' },
  ],
};
const queued = (position: number): PipelineRunStatus => ({
  phase: 'Queued',
  reason: 'PoolAtCapacity',
  queuePosition: position,
  conditions: [cond('Admitted', 'False', 'PoolAtCapacity'), cond('Succeeded', 'Unknown', 'Queued')],
});

test('decideStatusWrite', () => {
  const now = 1_000_000;
  const cases: {
    name: string;
    old: PipelineRunStatus;
    next: PipelineRunStatus;
    writeNotBefore?: number;
    lastWriteAt?: number;
    want: WriteDecision;
  }[] = [
    { name: 'equal: no write', old: running, next: structuredClone(running), want: { write: false } },
    {
      name: 'equal: no write, even when deferred',
      old: running,
      next: structuredClone(running),
      writeNotBefore: now + 500,
      want: { write: false },
    },
    { name: 'the first status', old: {}, next: running, want: { write: true } },
    {
      name: 'a transitional status is deferred until writeNotBefore',
      old: {},
      next: { phase: 'Pending', reason: 'Starting' },
      writeNotBefore: now + 1500,
      want: { write: false, retryAfterMs: 1500 },
    },
    {
      name: 'and written once writeNotBefore has come',
      old: {},
      next: { phase: 'Pending', reason: 'Starting' },
      writeNotBefore: now,
      want: { write: true },
    },
    {
      name: 'progress within a phase, written 1 s ago: wait for the rest of 5 s',
      old: running,
      next: stepDone,
      lastWriteAt: now - 1000,
      want: { write: false, retryAfterMs: progressWriteIntervalMs - 1000 },
    },
    {
      name: 'progress within a phase, written 5 s ago: write',
      old: running,
      next: stepDone,
      lastWriteAt: now - progressWriteIntervalMs,
      want: { write: true },
    },
    {
      name: 'progress, but this process never wrote the run (restarted): write',
      old: running,
      next: stepDone,
      want: { write: true },
    },
    {
      name: 'a phase change is never rate-limited',
      old: running,
      next: {
        ...stepDone,
        phase: 'Succeeded',
        reason: 'Succeeded',
        conditions: [cond('Admitted', 'True', 'Admitted'), cond('Succeeded', 'True', 'Succeeded')],
      },
      lastWriteAt: now - 10,
      want: { write: true },
    },
    {
      name: 'a new attempt is never rate-limited',
      old: running,
      next: { ...running, attempt: 2, podName: 'app-2' },
      lastWriteAt: now - 10,
      want: { write: true },
    },
    {
      name: 'a reason change is never rate-limited',
      old: { ...running, phase: 'Pending', reason: 'Scheduling' },
      next: { ...running, phase: 'Pending', reason: 'ContainerCreating' },
      lastWriteAt: now - 10,
      want: { write: true },
    },
    {
      name: 'a condition’s status change is never rate-limited',
      old: running,
      next: {
        ...running,
        conditions: [cond('Admitted', 'True', 'Admitted'), cond('Succeeded', 'False', 'Running')],
      },
      lastWriteAt: now - 10,
      want: { write: true },
    },
    {
      name: 'a queue position near the front: at once',
      old: queued(12),
      next: queued(queueFrontPositions),
      lastWriteAt: now - 10,
      want: { write: true },
    },
    {
      name: 'a queue position further back, written 10 s ago: wait for the rest of 30 s',
      old: queued(40),
      next: queued(39),
      lastWriteAt: now - 10_000,
      want: { write: false, retryAfterMs: queuePositionWriteIntervalMs - 10_000 },
    },
    {
      name: 'a queue position further back, written 30 s ago: write',
      old: queued(40),
      next: queued(30),
      lastWriteAt: now - queuePositionWriteIntervalMs,
      want: { write: true },
    },
    {
      name: 'deferring wins over everything else',
      old: running,
      next: stepDone,
      writeNotBefore: now + 100,
      want: { write: false, retryAfterMs: 100 },
    },
  ];
  for (const c of cases) {
    assert.deepEqual(decideStatusWrite(c.old, c.next, now, c.writeNotBefore, c.lastWriteAt), c.want, c.name);
  }
});

test('statusMergePatch: every field of the new status, null for each one that went', () => {
  const cases: {
    name: string;
    old: PipelineRunStatus;
    next: PipelineRunStatus;
    want: Record<string, unknown>;
  }[] = [
    {
      name: 'from nothing',
      old: {},
      next: { phase: 'Queued', queuePosition: 2 },
      want: { phase: 'Queued', queuePosition: 2 },
    },
    {
      name: 'a field that went is nulled, arrays replaced whole',
      old: { phase: 'Queued', queuePosition: 2, steps: [{ name: 'a', state: 'waiting' }] },
      next: { phase: 'Running', steps: [{ name: 'a', state: 'running' }] },
      want: { phase: 'Running', queuePosition: null, steps: [{ name: 'a', state: 'running' }] },
    },
    {
      name: 'a field set to undefined went too',
      old: { phase: 'Running', currentStep: 'a' },
      next: { phase: 'Succeeded', currentStep: undefined },
      want: { phase: 'Succeeded', currentStep: null },
    },
  ];
  for (const c of cases) {
    const patch = statusMergePatch(c.old, c.next);
    // As it goes over the wire.
    assert.deepEqual(JSON.parse(JSON.stringify(patch)), c.want, c.name);
  }
});

// The benchmark's arithmetic: counting the audit log, percentiles, the targets' verdicts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { countAudit, perRun, readAudit } from '../../../bench/audit.ts';
import { hotspots } from '../../../bench/cpu-profile.ts';
import { markdown, targets, type ScenarioResult, type Settings } from '../../../bench/report.ts';
import type { SideResult } from '../../../bench/scenarios.ts';
import { percentile } from '../../../bench/stats.ts';

test('percentile by nearest rank', () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(xs, 50), 50);
  assert.equal(percentile(xs, 99), 99);
  assert.equal(percentile(xs, 100), 100);
  assert.equal(percentile([5], 99), 5);
  assert.equal(percentile([], 50), undefined);
});

test('countAudit counts one identity’s requests in a window, reads apart from writes', () => {
  const user = 'system:serviceaccount:furrow-bench:furrow-operator';
  const line = (verb: string, resource: string, sub: string | undefined, t: string, who = user) =>
    JSON.stringify({
      stage: 'ResponseComplete',
      verb,
      user: { username: who },
      objectRef: { resource, subresource: sub },
      requestReceivedTimestamp: t,
    });
  const lines = [
    line('list', 'pods', undefined, '2026-01-01T00:00:00.500000Z'),
    line('create', 'pods', undefined, '2026-01-01T00:00:01Z'),
    line('patch', 'pipelineruns', 'status', '2026-01-01T00:00:02Z'),
    line('create', 'events', undefined, '2026-01-01T00:00:02Z'),
    line('watch', 'pods', undefined, '2026-01-01T00:00:02Z'),
    line('get', 'pods', undefined, '2026-01-01T00:00:03Z'),
    line('create', 'pods', undefined, '2026-01-01T00:00:03Z', 'someone-else'),
    'not json',
  ];
  const c = countAudit(lines, user, Date.parse('2026-01-01T00:00:01Z'), Date.parse('2026-01-01T00:00:10Z'));
  assert.equal(c.reads, 1);
  assert.equal(c.writes, 3);
  assert.equal(c.watches, 1);
  assert.deepEqual(c.writesByResource, { pods: 1, 'pipelineruns/status': 1, events: 1 });
});

test('readAudit reads the rotated backups beside the log, oldest first, then the log', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'furrow-audit-'));
  try {
    writeFileSync(path.join(dir, 'audit-2026-11-27T23-01-37.355.log'), 'b1\nb2');
    writeFileSync(path.join(dir, 'audit-2026-11-27T22-01-00.000.log'), 'a1');
    writeFileSync(path.join(dir, 'audit.log'), 'c1');
    writeFileSync(path.join(dir, 'other.log'), 'x');
    assert.deepEqual(readAudit(path.join(dir, 'audit.log')), ['a1', 'b1', 'b2', 'c1']);
    assert.deepEqual(readAudit(path.join(dir, 'missing', 'audit.log')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('perRun splits a side’s writes into its own objects, its pool’s status and Events', () => {
  const cases: { name: string; by: Record<string, number>; want: Partial<ReturnType<typeof perRun>> }[] = [
    {
      name: 'furrow',
      by: { pods: 100, 'pipelineruns/status': 210, 'nodepools/status': 12, events: 150 },
      want: { writes: 4.72, objectWrites: 3.1, poolStatusWrites: 0.12, eventWrites: 1.5 },
    },
    {
      name: 'job',
      by: { pods: 100, jobs: 0, 'jobs/status': 300, events: 200 },
      want: { writes: 6, objectWrites: 4, poolStatusWrites: 0, eventWrites: 2 },
    },
  ];
  for (const c of cases) {
    const writes = Object.values(c.by).reduce((a, b) => a + b, 0);
    const got = perRun({ reads: 0, writes, writesByResource: c.by }, 100);
    assert.deepEqual(got, { reads: 0, ...c.want }, c.name);
  }
});

const side = (o: Partial<SideResult>): SideResult => ({
  kind: 'furrow',
  n: 10,
  succeeded: 10,
  failed: 0,
  createToPodMs: {},
  statusLagMs: {},
  api: { reads: 0, writes: 0, watches: 0, writesByResource: {} },
  perRun: {},
  memory: {},
  eventLoopP99Ms: {},
  ...o,
});

test('targets pass and fail on the thresholds of issue #8', () => {
  const results: ScenarioResult[] = [
    {
      id: 'burst-1000',
      description: '',
      furrow: side({ allPodsExistS: 9, perRun: { objectWrites: 3, reads: 0 } }),
      job: side({ kind: 'job', allPodsExistS: 10 }),
    },
    {
      id: 'steady-20',
      description: '',
      furrow: side({
        createToPodMs: { p99: 999 },
        statusLagMs: { p99: 1001 },
        perRun: { objectWrites: 3.01, reads: 0 },
      }),
    },
    { id: 'memory-10000', description: '', furrow: side({ memory: { rssMaxMB: 260, rssSettledMB: 199.9 } }) },
    { id: 'steady-50', description: '', furrow: side({ eventLoopP99Ms: { p99: 50 } }) },
  ];
  const verdicts = Object.fromEntries(targets(results).map((t) => [t.name, t.pass]));
  assert.deepEqual(Object.values(verdicts), [true, false, false, true, true, undefined]);
});

test('an archive scenario: its own table of Furrow without and with a store, and the 10 % target', () => {
  const archiveFigures = (archived: number, scale: number) => ({
    archived,
    kubernetesRequestsPerRun: 1 * scale,
    storeRequestsPerRun: 3 * scale,
    podLogRequestsPerRun: 1 * scale,
    bytesPerRun: 190 * scale,
  });
  const result = (onP99: number): ScenarioResult => ({
    id: 'archive-20',
    description: '20 runs/s, 45 s, archiving off and on',
    furrow: side({
      n: 900,
      succeeded: 900,
      createToPodMs: { p50: 40, p99: 200 },
      archive: archiveFigures(0, 0),
    }),
    archived: side({
      n: 900,
      succeeded: 899,
      createToPodMs: { p50: 42, p99: onP99 },
      archive: archiveFigures(899, 1),
    }),
  });
  const verdict = (r: ScenarioResult) =>
    targets([r]).find((t) => t.name.startsWith('create→pod p99 at 20 runs/s, logs archived'));
  assert.deepEqual(verdict(result(220)), {
    name: 'create→pod p99 at 20 runs/s, logs archived vs not',
    goal: 'on/off ≤ 1.10',
    measured: '220 ms vs 200 ms (1.10)',
    pass: true,
  });
  assert.equal(verdict(result(221))?.pass, false);

  const text = markdown([result(221)], { date: 'd', machine: 'm', nodes: 1, podsPerNode: 1 } as Settings);
  const d = '20 runs/s, 45 s, archiving off and on';
  assert.match(text, /\| Scenario \| Measure \| Off \| On \| On\/Off \|/);
  for (const row of [
    `| ${d} | finished | 900/900 | 899/900 | |`,
    `| ${d} | create→pod p99 | 200 ms | 221 ms | 1.10 |`,
    `| ${d} | attempts archived | 0 | 899 | |`,
    `| ${d} | archiver’s pods/log reads/run | 0 | 1 | – |`,
    `| ${d} | operator’s pods/log API requests/run | 0 | 1 | – |`,
    `| ${d} | archiver’s store requests/run | 0 | 3 | – |`,
    `| ${d} | archived bytes/run | 0 | 190 | – |`,
  ])
    assert.ok(text.includes(row), `${row}\n${text}`);
  assert.ok(!text.includes('| Furrow/Job |'), 'no Furrow/Job table without its scenarios');
});

test('a side that gave up shows its window as a lower bound and the ratio as an upper bound', () => {
  const results: ScenarioResult[] = [
    {
      id: 'burst-5000',
      description: 'burst 5000',
      furrow: side({ n: 5000, succeeded: 5000, allPodsExistS: 160, allFinalS: 200 }),
      job: side({ kind: 'job', n: 5000, succeeded: 3087, allPodsExistS: 900, gaveUpAfterS: 1120 }),
    },
  ];
  const settings = { date: 'd', machine: 'm', nodes: 1, podsPerNode: 1 } as Settings;
  const text = markdown(results, settings);
  assert.match(text, /\| burst 5000 \| finished \| 5000\/5000 \| 3087\/5000 \|/);
  assert.match(text, /\| burst 5000 \| all pods exist \| 160 s \| 900 s \| 0\.18 \|/);
  assert.match(text, /\| burst 5000 \| all final \| 200 s \| > 1120 s \| < 0\.18 \|/);
  // And the other way round: Furrow gave up, the Job controller finished.
  const reversed = markdown(
    [
      {
        id: 'burst-5000',
        description: 'burst 5000',
        furrow: side({ n: 5000, succeeded: 10, gaveUpAfterS: 1120 }),
        job: side({ kind: 'job', n: 5000, succeeded: 5000, allFinalS: 560 }),
      },
    ],
    settings,
  );
  assert.match(reversed, /\| burst 5000 \| all final \| > 1120 s \| 560 s \| > 2\.00 \|/);
  assert.match(reversed, /\| burst 5000 \| all pods exist \| > 1120 s \| – \| – \|/);
});

test('hotspots ranks functions by self time', () => {
  const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9 });
  const top = hotspots({
    nodes: [
      { id: 1, callFrame: frame('(root)', ''), hitCount: 0 },
      { id: 2, callFrame: frame('planRun', 'file:///repo/src/resources/pipelinerun/plan.ts'), hitCount: 30 },
      { id: 3, callFrame: frame('(garbage collector)', ''), hitCount: 10 },
      { id: 4, callFrame: frame('planRun', 'file:///repo/src/resources/pipelinerun/plan.ts'), hitCount: 20 },
    ],
  });
  assert.deepEqual(top[0], {
    function: 'planRun',
    where: 'src/resources/pipelinerun/plan.ts:10',
    selfPercent: 83.3,
  });
});

// The benchmark's harness works end to end (CI runs this small scenario; the timings it prints
// are not asserted: a loaded CI machine says nothing about them). What is asserted are
// counts: every run and Job finishes, Furrow makes no reads after its caches synced.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { localKubeconfig, repoRoot } from '../support/paths.ts';
import { kubeconfigPath } from '../support/kube.ts';
import type { ScenarioResult } from '../../bench/report.ts';

test('the benchmark’s smoke scenario runs both sides and reports', { timeout: 600_000 }, (t) => {
  if (kubeconfigPath() !== localKubeconfig) {
    t.skip('needs the local cluster (its audit log counts requests)');
    return;
  }
  const out = mkdtempSync(path.join(tmpdir(), 'furrow-bench-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const report = execFileSync(
    process.execPath,
    [path.join(repoRoot, 'bench', 'run.ts'), '--smoke', '--out', out],
    {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  t.diagnostic(report);
  const { results } = JSON.parse(readFileSync(path.join(out, 'smoke-latest.json'), 'utf8')) as {
    results: ScenarioResult[];
  };
  const [burst] = results;
  assert.ok(burst?.job, 'both sides ran');
  assert.equal(burst.furrow.succeeded, 20);
  assert.equal(burst.job.succeeded, 20);
  assert.equal(burst.furrow.perRun.reads, 0, 'no GET or LIST after the initial sync');
  assert.ok((burst.furrow.perRun.objectWrites ?? 0) >= 3, 'the audit log saw the operator’s writes');
  assert.ok((burst.job.perRun.objectWrites ?? 0) > 0, 'and the Job controller’s');
  assert.ok((burst.furrow.cpuMeanPercent ?? 0) > 0, 'the operator’s CPU was sampled');
  assert.ok(burst.furrow.idleLoopP99Ms !== undefined, 'the idle probe reported its event-loop delay');
  assert.match(report, /\| Target \| Goal \| Measured \| Result \|/);

  // Reporting a saved run again, as after a change to the report, gives the same table.
  const again = path.join(out, 'again');
  execFileSync(
    process.execPath,
    [
      path.join(repoRoot, 'bench', 'run.ts'),
      '--smoke',
      '--render',
      path.join(out, 'smoke-latest.json'),
      '--out',
      again,
    ],
    { cwd: repoRoot, stdio: 'ignore' },
  );
  assert.equal(
    readFileSync(path.join(again, 'smoke-latest.md'), 'utf8'),
    readFileSync(path.join(out, 'smoke-latest.md'), 'utf8'),
  );
});

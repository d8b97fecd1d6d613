// The step wrapper's contract, read by the status function: "exitCode=<n> timedOut=<bool>" in
// the termination message, exit 0 for a failure with onError: continue, a stop at the timeout.
// The wrapper script itself runs here under /bin/sh, with its two fixed paths (the workspace
// and the termination log) moved into a temporary directory.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Step } from '../../../../src/resources/types.ts';
import {
  needsWrapper,
  parseWrapperReport,
  stepProcess,
  wrapperScript,
} from '../../../../src/resources/runner-pod/step-wrapper.ts';

test('parseWrapperReport reads the termination message, and nothing else', () => {
  const cases: [string | undefined, ReturnType<typeof parseWrapperReport>][] = [
    ['exitCode=0 timedOut=false\n', { exitCode: 0, timedOut: false }],
    ['exitCode=3 timedOut=false', { exitCode: 3, timedOut: false }],
    ['exitCode=124 timedOut=true\n', { exitCode: 124, timedOut: true }],
    ['some log line\nexitCode=137 timedOut=false\n', { exitCode: 137, timedOut: false }],
    [undefined, undefined],
    ['', undefined],
    ['exitCode=-1 timedOut=false', undefined],
    ['exitCode=3', undefined],
    ['exitCode=3 timedOut=maybe', undefined],
    ['panic: runtime error', undefined],
  ];
  for (const [message, want] of cases)
    assert.deepEqual(parseWrapperReport(message), want, JSON.stringify(message));
});

test('needsWrapper: only a timeout or onError: continue needs it', () => {
  const cases: [Partial<Step>, boolean][] = [
    [{}, false],
    [{ onError: 'stopAndFail' }, false],
    [{ onError: 'continue' }, true],
    [{ timeout: '5m' }, true],
    [{ timeout: '5m', onError: 'continue' }, true],
  ];
  for (const [step, want] of cases)
    assert.equal(needsWrapper({ name: 's', command: ['x'], ...step }), want, JSON.stringify(step));
});

test('stepProcess wraps the step’s own argv, a script included', () => {
  const p = stepProcess({ name: 'lint', script: 'make lint\n', timeout: '500ms' });
  assert.equal(p.wrapped, true);
  assert.deepEqual(p.command?.slice(3), ['furrow-step', '/bin/sh', '-e', '-c', 'make lint\n']);
  assert.equal(p.args, undefined, 'args are part of the wrapped argv');
  assert.deepEqual(p.env, [
    { name: 'FURROW_STEP_NAME', value: 'lint' },
    { name: 'FURROW_ON_ERROR', value: 'stopAndFail' },
    { name: 'FURROW_STEP_TIMEOUT', value: '1' },
  ]);
});

interface Outcome {
  exitCode: number | null;
  message: string;
  ms: number;
}

function sandbox(): { dir: string; script: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'furrow-wrapper-'));
  const script = wrapperScript
    .replaceAll('/dev/termination-log', path.join(dir, 'termination-log'))
    .replaceAll('/workspace', path.join(dir, 'workspace'));
  assert.notEqual(script, wrapperScript);
  return { dir, script };
}

function readMessage(dir: string): string {
  try {
    return readFileSync(path.join(dir, 'termination-log'), 'utf8');
  } catch {
    return '';
  }
}

function runWrapped(argv: string[], env: Record<string, string>): Outcome {
  const { dir, script } = sandbox();
  try {
    const started = Date.now();
    // stdio ignored: a leftover `sleep` of the watchdog must not hold a pipe open (in a
    // container it dies with the wrapper, PID 1).
    const result = spawnSync('/bin/sh', ['-c', script, 'furrow-step', ...argv], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', FURROW_STEP_NAME: 'step', ...env },
      stdio: 'ignore',
      timeout: 20_000,
    });
    return { exitCode: result.status, message: readMessage(dir), ms: Date.now() - started };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const exit = (code: number) => ['/bin/sh', '-c', `exit ${code}`];

test('the wrapper reports the exit code and exits with it, or 0 with onError: continue', () => {
  const cases: {
    name: string;
    argv: string[];
    env: Record<string, string>;
    exitCode: number;
    message: string;
  }[] = [
    { name: 'success', argv: exit(0), env: {}, exitCode: 0, message: 'exitCode=0 timedOut=false\n' },
    {
      name: 'failure stops',
      argv: exit(3),
      env: { FURROW_ON_ERROR: 'stopAndFail' },
      exitCode: 3,
      message: 'exitCode=3 timedOut=false\n',
    },
    {
      name: 'failure continues',
      argv: exit(3),
      env: { FURROW_ON_ERROR: 'continue' },
      exitCode: 0,
      message: 'exitCode=3 timedOut=false\n',
    },
    {
      name: 'arguments pass through untouched',
      argv: ['/bin/sh', '-c', 'test "$1" = "a b" && test "$2" = "*"', 'x', 'a b', '*'],
      env: {},
      exitCode: 0,
      message: 'exitCode=0 timedOut=false\n',
    },
    {
      name: 'a missing command',
      argv: ['/nonexistent/furrow-test-binary'],
      env: {},
      exitCode: 127,
      message: 'exitCode=127 timedOut=false\n',
    },
  ];
  for (const c of cases) {
    const out = runWrapped(c.argv, c.env);
    assert.equal(out.exitCode, c.exitCode, c.name);
    assert.equal(out.message, c.message, c.name);
    assert.deepEqual(
      parseWrapperReport(out.message)?.exitCode,
      Number(/exitCode=(\d+)/.exec(c.message)?.[1]),
    );
  }
});

test('the wrapper stops a step at its timeout and says so', () => {
  const slow = ['/bin/sh', '-c', 'sleep 8'];
  const stops = runWrapped(slow, { FURROW_STEP_TIMEOUT: '1', FURROW_ON_ERROR: 'stopAndFail' });
  assert.equal(stops.exitCode, 124);
  assert.equal(stops.message, 'exitCode=124 timedOut=true\n');
  assert.ok(stops.ms < 6000, `took ${stops.ms} ms`);

  const continues = runWrapped(slow, { FURROW_STEP_TIMEOUT: '1', FURROW_ON_ERROR: 'continue' });
  assert.equal(continues.exitCode, 0);
  assert.equal(continues.message, 'exitCode=124 timedOut=true\n');

  const quick = runWrapped(exit(0), { FURROW_STEP_TIMEOUT: '5' });
  assert.equal(quick.exitCode, 0);
  assert.equal(quick.message, 'exitCode=0 timedOut=false\n');
  assert.ok(quick.ms < 4000, `a step within its timeout doesn't wait for it (${quick.ms} ms)`);
});

test('SIGTERM (the pod being deleted) stops the step, and the wrapper still reports', async () => {
  const { dir, script } = sandbox();
  try {
    const child = spawn('/bin/sh', ['-c', script, 'furrow-step', '/bin/sh', '-c', 'sleep 8'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', FURROW_STEP_NAME: 'step' },
      stdio: 'ignore',
    });
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.ok(Date.now() - started < 5000);
    assert.equal(code, 143);
    assert.equal(readMessage(dir), 'exitCode=143 timedOut=false\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

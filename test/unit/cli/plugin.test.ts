// kubectl furrow logs: its arguments, the step prefix on every line, and what it prints and
// returns for a run that is queued, runs, and ends, with the API answers given by the test.
import assert from 'node:assert/strict';
import { PassThrough, Readable, Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { ArgsError, parseCliArgs, type LogsArgs } from '../../../src/cli/args.ts';
import type { ArchivedRun, LogRequest, LogsClient } from '../../../src/cli/client.ts';
import { LogsCommand, targetsOfRun } from '../../../src/cli/logs.ts';
import { LinePrefixer, prefixFor } from '../../../src/cli/prefix.ts';
import { KubeHttpError } from '../../../src/kube/raw.ts';
import type { PipelineRun } from '../../../src/resources/types.ts';

describe('arguments', () => {
  test('every flag', () => {
    assert.deepEqual(
      parseCliArgs([
        'logs',
        'build',
        '-n',
        'team-a',
        '-f',
        '--attempt',
        '2',
        '--step',
        'test',
        '--timestamps',
        '--uid',
        'ab-12',
      ]),
      {
        command: 'logs',
        run: 'build',
        namespace: 'team-a',
        follow: true,
        attempt: 2,
        step: 'test',
        timestamps: true,
        uid: 'ab-12',
        kubeconfig: undefined,
        context: undefined,
      },
    );
    assert.deepEqual(parseCliArgs([]), { command: 'help' });
    assert.deepEqual(parseCliArgs(['logs', '--help']), { command: 'help' });
  });

  test('wrong arguments are errors naming them', () => {
    const cases: [string[], RegExp][] = [
      [['log', 'x'], /unknown command "log"/],
      [['logs'], /name the PipelineRun/],
      [['logs', 'a', 'b'], /one run at a time/],
      [['logs', 'Bad_Name'], /not a PipelineRun name/],
      [['logs', 'a', '--attempt', '0'], /--attempt/],
      [['logs', 'a', '--attempt'], /attempt/],
      [['logs', 'a', '--uid', 'x/y'], /--uid/],
      [['logs', 'a', '-n', 'NS'], /--namespace/],
      [['logs', 'a', '--tail', '3'], /tail/],
    ];
    for (const [argv, message] of cases)
      assert.throws(
        () => parseCliArgs(argv),
        (err: unknown) => err instanceof ArgsError && message.test(err.message),
        argv.join(' '),
      );
  });
});

describe('line prefixes', () => {
  test('every line start, across chunks, bytes kept; a missing final newline is added', () => {
    const p = new LinePrefixer(prefixFor('build', 0, false));
    const out = Buffer.concat([
      p.push(Buffer.from('one\ntw')),
      p.push(Buffer.from('o\n')),
      p.push(Buffer.from([0xff, 0x0a, 0x6c, 0x61, 0x73, 0x74])),
      p.end(),
    ]);
    assert.deepEqual(
      out,
      Buffer.concat([
        Buffer.from('[build] one\n[build] two\n[build] '),
        Buffer.from([0xff]),
        Buffer.from('\n[build] last\n'),
      ]),
    );
    assert.equal(p.end().length, 0);
  });

  test('colour only when asked (a terminal)', () => {
    assert.equal(prefixFor('a', 0, false).toString(), '[a] ');
    assert.match(
      prefixFor('a', 0, true).toString(),
      new RegExp(`^${String.fromCharCode(27)}\\[\\d+m\\[a\\]${String.fromCharCode(27)}\\[0m $`),
    );
  });
});

function runObject(phase: string | undefined, extra: Record<string, unknown> = {}): PipelineRun {
  return {
    apiVersion: 'furrow.dev/v1alpha1',
    kind: 'PipelineRun',
    metadata: { name: 'build', namespace: 'team-a', uid: 'u1' },
    spec: {
      pool: 'peasant',
      image: 'busybox',
      source: { git: { url: 'https://example.com/r.git', revision: 'main' } },
      steps: [
        { name: 'compile', script: 'true' },
        { name: 'test', script: 'true' },
      ],
      services: [{ name: 'db', image: 'postgres' }],
    },
    status: phase ? { phase, attempt: phase === 'Queued' ? undefined : 1, ...extra } : undefined,
  } as unknown as PipelineRun;
}

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _e: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

const args = (extra: Partial<LogsArgs> = {}): LogsArgs => ({
  command: 'logs',
  run: 'build',
  namespace: undefined,
  follow: false,
  attempt: undefined,
  step: undefined,
  timestamps: false,
  uid: undefined,
  kubeconfig: undefined,
  context: undefined,
  ...extra,
});

test('the run’s containers in pod order: checkout, steps, services', () => {
  assert.deepEqual(
    targetsOfRun(runObject('Running')).map((t) => `${t.label}:${t.container}`),
    ['checkout:furrow-checkout', 'compile:compile', 'test:test', 'db:db'],
  );
});

describe('logs', () => {
  test('prints every container in order, each line prefixed; a container without a log is a note', async () => {
    const requests: LogRequest[] = [];
    const client: LogsClient = {
      getRun: () => Promise.resolve(runObject('Succeeded')),
      archive: () => Promise.resolve([]),
      openLog: async (_ns, _name, request) => {
        await Promise.resolve();
        requests.push(request);
        if (request.container === 'db') throw new KubeHttpError(404, 'no container "db"');
        return Readable.from([Buffer.from(`${request.container} 1\n${request.container} 2\n`)]);
      },
    };
    const out = new Sink();
    const err = new Sink();
    const code = await new LogsCommand(
      client,
      { out, err, colour: false, sleep: () => Promise.resolve(), pollMs: 0 },
      args(),
      'team-a',
    ).run();
    assert.equal(code, 0);
    assert.equal(
      out.text,
      '[checkout] furrow-checkout 1\n[checkout] furrow-checkout 2\n[compile] compile 1\n[compile] compile 2\n[test] test 1\n[test] test 2\n',
    );
    assert.match(err.text, /\[db\] no log: no container "db"/);
    assert.deepEqual(
      requests.map((r) => r.follow),
      [false, false, false, false],
    );
  });

  test('-f waits through Queued showing the position, follows each step as it starts, exits 1 when the run failed', async () => {
    const runs = [
      runObject('Queued', { queuePosition: 2, reason: 'PoolFull' }),
      runObject('Queued', { queuePosition: 1, reason: 'PoolFull' }),
      runObject('Running'),
    ];
    let current = 0;
    let finished = false;
    const started = new Set<string>(['furrow-checkout', 'db']); // a service runs from the start
    const client: LogsClient = {
      getRun: () =>
        Promise.resolve(
          finished
            ? runObject('Failed', { message: 'step test failed' })
            : runs[Math.min(current++, runs.length - 1)],
        ),
      archive: () => Promise.resolve([]),
      openLog: async (_ns, _name, request) => {
        await Promise.resolve();
        if (!started.has(request.container))
          throw new KubeHttpError(400, `container ${request.container} is waiting to start`);
        const stream = new PassThrough();
        if (request.container === 'furrow-checkout') stream.end('cloned\n');
        if (request.container === 'compile') {
          stream.write('c1\n');
          setImmediate(() => {
            stream.end('c2\n');
            started.add('test');
          });
        }
        if (request.container === 'test') {
          stream.end('t1\n');
          finished = true;
        }
        if (request.container === 'db') stream.end('ready\n');
        return stream;
      },
    };
    const out = new Sink();
    const err = new Sink();
    let sleeps = 0;
    const sleep = () => {
      sleeps++;
      if (sleeps === 3) started.add('compile');
      return Promise.resolve();
    };
    const code = await new LogsCommand(
      client,
      { out, err, colour: false, sleep, pollMs: 0 },
      args({ follow: true }),
      'team-a',
    ).run();
    assert.equal(out.text, '[checkout] cloned\n[compile] c1\n[compile] c2\n[test] t1\n[db] ready\n');
    assert.match(err.text, /Queued: position 2 in pool peasant's queue \(PoolFull\)\nQueued: position 1/);
    assert.match(err.text, /pipelinerun build Failed: step test failed/);
    assert.equal(code, 1);
  });

  test('-f exits 0 when the run succeeded', async () => {
    const client: LogsClient = {
      getRun: () => Promise.resolve(runObject('Succeeded')),
      archive: () => Promise.resolve([]),
      openLog: () => Promise.resolve(Readable.from([Buffer.from('ok\n')])),
    };
    const out = new Sink();
    const code = await new LogsCommand(
      client,
      { out, err: new Sink(), colour: false, sleep: () => Promise.resolve(), pollMs: 0 },
      args({ follow: true, step: 'test' }),
      'team-a',
    ).run();
    assert.equal(code, 0);
    assert.equal(out.text, '[test] ok\n');
  });

  test('a deleted run: one archived run is read by its uid; several are listed for --uid', async () => {
    const manifest = (uid: string) => ({
      version: 1 as const,
      run: { namespace: 'team-a', name: 'build', uid },
      attempt: 1,
      pod: 'build-1',
      archivedAt: '2026-12-01T00:00:00Z',
      containers: [{ name: 'compile', role: 'step' as const, key: 'k', bytes: 1, sha256: '' }],
    });
    let archived: ArchivedRun[] = [{ uid: 'aa', attempts: [manifest('aa')] }];
    const asked: LogRequest[] = [];
    const client: LogsClient = {
      getRun: () => Promise.resolve(undefined),
      archive: () => Promise.resolve(archived),
      openLog: async (_ns, _name, request) => {
        await Promise.resolve();
        asked.push(request);
        return Readable.from([Buffer.from('old\n')]);
      },
    };
    const io = () => ({
      out: new Sink(),
      err: new Sink(),
      colour: false,
      sleep: () => Promise.resolve(undefined),
      pollMs: 0,
    });
    const first = io();
    assert.equal(await new LogsCommand(client, first, args(), 'team-a').run(), 0);
    assert.equal(first.out.text, '[compile] old\n');
    assert.deepEqual(
      asked.map((r) => [r.uid, r.attempt]),
      [['aa', 1]],
    );
    archived = [...archived, { uid: 'bb', attempts: [manifest('bb')] }];
    await assert.rejects(
      new LogsCommand(client, io(), args(), 'team-a').run(),
      /2 runs of that name have archived logs; choose one:\n {2}--uid aa.*\n {2}--uid bb/,
    );
    archived = [];
    await assert.rejects(
      new LogsCommand(client, io(), args(), 'team-a').run(),
      /pipelinerun team-a\/build not found/,
    );
  });

  test('forbidden and furrow-api unavailable are clear errors', async () => {
    const failing = (code: number, message: string): LogsClient => ({
      getRun: () => Promise.resolve(runObject('Running')),
      archive: () => Promise.resolve([]),
      openLog: async () => {
        await Promise.resolve();
        await Promise.resolve();
        throw new KubeHttpError(code, message);
      },
    });
    const io = { out: new Sink(), err: new Sink(), colour: false, sleep: () => Promise.resolve(), pollMs: 0 };
    await assert.rejects(
      new LogsCommand(
        failing(403, 'pipelineruns.api.furrow.dev "build" is forbidden'),
        io,
        args(),
        'team-b',
      ).run(),
      /reading checkout's log: forbidden: pipelineruns.api.furrow.dev "build" is forbidden/,
    );
    await assert.rejects(
      new LogsCommand(failing(503, 'service unavailable'), io, args(), 'team-a').run(),
      /furrow-api is unavailable/,
    );
  });
});

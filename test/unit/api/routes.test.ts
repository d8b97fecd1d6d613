// furrow-api's routes over real HTTP, with the cluster reads and the authorizer given by the
// test: authentication before anything, a bad parameter before authorization, authorization
// before any read, live logs from the attempt's pod while it exists, the archive after, and a
// Status naming what is missing for every failure.
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { after, before, beforeEach, describe, test } from 'node:test';
import { ArchiveReader } from '../../../src/api/archive.ts';
import type { FrontProxyConfig, PeerCertificate, UserInfo } from '../../../src/api/authn.ts';
import type { ClusterReader } from '../../../src/api/live.ts';
import { createHandler } from '../../../src/api/routes.ts';
import { StatusError } from '../../../src/api/status.ts';
import type { Pod } from '../../../src/kube/json.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import { containerLogKey, manifestKey } from '../../../src/resources/logs/keys.ts';
import type { PipelineRun } from '../../../src/resources/types.ts';
import { MemoryStore } from '../../support/memory-store.ts';
import { localFrontProxy } from '../../support/front-proxy.ts';

const config = localFrontProxy;

const state = {
  peer: { authorized: true, commonName: 'front-proxy-client' } as PeerCertificate,
  frontProxy: config as FrontProxyConfig | undefined,
  allowed: true,
  authzError: undefined as Error | undefined,
  reviews: [] as string[],
  runs: new Map<string, PipelineRun>(),
  pods: new Map<string, Pod>(),
  podLogs: new Map<string, string | StatusError>(),
  reads: [] as string[],
  follows: [] as PassThrough[],
};
const store = new MemoryStore();

const tick = () => new Promise((resolve) => setImmediate(resolve));
const cluster: ClusterReader = {
  async getRun(namespace, name) {
    await tick();
    state.reads.push(`run ${namespace}/${name}`);
    return state.runs.get(`${namespace}/${name}`);
  },
  async getPod(namespace, name) {
    await tick();
    state.reads.push(`pod ${namespace}/${name}`);
    return state.pods.get(`${namespace}/${name}`);
  },
  async openPodLog(namespace, pod, container, options) {
    await tick();
    state.reads.push(
      `log ${namespace}/${pod}/${container}${options.follow ? ' follow' : ''}${options.timestamps ? ' timestamps' : ''}`,
    );
    if (options.follow) {
      const stream = new PassThrough();
      state.follows.push(stream);
      return stream as unknown as IncomingMessage;
    }
    const log = state.podLogs.get(`${pod}/${container}`) ?? '';
    if (log instanceof StatusError) throw log;
    return Readable.from([Buffer.from(log)]) as unknown as IncomingMessage;
  },
};

let server: Server;
let base: string;
before(async () => {
  server = createServer(
    createHandler({
      log: silentLogger(),
      frontProxy: () => state.frontProxy,
      peer: () => state.peer,
      authorizer: {
        async canGetRun(user: UserInfo, namespace: string, name: string) {
          await tick();
          state.reviews.push(`${user.username} ${namespace}/${name}`);
          if (state.authzError) throw state.authzError;
          return { allowed: state.allowed, reason: state.allowed ? '' : 'no RBAC policy matched' };
        },
      },
      cluster,
      archive: new ArchiveReader(store),
    }),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  base = `http://127.0.0.1:${address.port}`;
});
after(() => server.close());

beforeEach(() => {
  state.peer = { authorized: true, commonName: 'front-proxy-client' };
  state.frontProxy = config;
  state.allowed = true;
  state.authzError = undefined;
  state.reviews = [];
  state.reads = [];
  state.runs.clear();
  state.pods.clear();
  state.podLogs.clear();
  store.objects.clear();
  store.fail = undefined;
});

interface Answer {
  code: number;
  type: string;
  body: string;
  json: { code?: number; reason?: string; message?: string; kind?: string; [k: string]: unknown };
}

async function get(path: string, user = 'alice'): Promise<Answer> {
  const res = await fetch(`${base}${path}`, { headers: { 'x-remote-user': user, 'x-remote-group': 'devs' } });
  const body = await res.text();
  let json = {};
  try {
    json = JSON.parse(body) as Answer['json'];
  } catch {
    // a log
  }
  return { code: res.status, type: res.headers.get('content-type') ?? '', body, json };
}

const logPath = (query: string, ns = 'team-a', name = 'build') =>
  `/apis/api.furrow.dev/v1alpha1/namespaces/${ns}/pipelineruns/${name}/log?${query}`;

function addRun(attempt: number | undefined, uid = 'a1', phase = 'Running'): void {
  state.runs.set('team-a/build', {
    apiVersion: 'furrow.dev/v1alpha1',
    kind: 'PipelineRun',
    metadata: { name: 'build', namespace: 'team-a', uid },
    spec: { pool: 'p', image: 'busybox', steps: [{ name: 'compile', script: 'true' }] },
    status: attempt === undefined ? { phase: 'Queued' } : { phase, attempt },
  } as unknown as PipelineRun);
}

function addPod(attempt: number, uid = 'a1'): void {
  state.pods.set(`team-a/build-${attempt}`, {
    metadata: { name: `build-${attempt}`, labels: { 'furrow.dev/pipelinerun-uid': uid } },
    spec: { initContainers: [{ name: 'furrow-checkout' }], containers: [{ name: 'compile' }] },
  });
}

async function archive(uid: string, attempt: number, container: string, text: string): Promise<void> {
  const ref = { namespace: 'team-a', name: 'build', uid };
  const key = containerLogKey(ref, attempt, 0, container);
  await store.put(key, text);
  await store.put(
    manifestKey(ref, attempt),
    JSON.stringify({
      version: 1,
      run: ref,
      attempt,
      pod: `build-${attempt}`,
      archivedAt: 'x',
      containers: [{ name: container, role: 'step', key, bytes: 1, sha256: '' }],
    }),
  );
}

describe('health and discovery', () => {
  test('health needs no identity; readyz waits for the front proxy settings', async () => {
    state.peer = { authorized: false, commonName: undefined };
    assert.equal((await get('/healthz')).code, 200);
    assert.equal((await get('/readyz')).code, 200);
    state.frontProxy = undefined;
    assert.equal((await get('/readyz')).code, 503);
    assert.equal((await get('/apis/api.furrow.dev/v1alpha1')).code, 503);
  });

  test('the group, version and its two subresources', async () => {
    const list = await get('/apis/api.furrow.dev/v1alpha1');
    assert.equal(list.code, 200);
    assert.equal(list.json.kind, 'APIResourceList');
    assert.deepEqual(
      (list.json.resources as { name: string; verbs: string[] }[]).map((r) => [r.name, r.verbs]),
      [
        ['pipelineruns/log', ['get']],
        ['pipelineruns/archive', ['get']],
      ],
    );
    assert.equal((await get('/apis')).json.kind, 'APIGroupList');
    assert.equal((await get('/apis/api.furrow.dev')).json.kind, 'APIGroup');
  });
});

describe('authentication and authorization', () => {
  test('without the front proxy’s certificate: 401, nothing read', async () => {
    state.peer = { authorized: false, commonName: undefined };
    const answer = await get(logPath('container=compile'));
    assert.equal(answer.code, 401);
    assert.equal(answer.json.reason, 'Unauthorized');
    assert.deepEqual(state.reviews, []);
    assert.deepEqual(state.reads, []);
  });

  test('a user who may not get the run: 403 naming user, run and namespace; nothing read', async () => {
    addRun(1);
    state.allowed = false;
    const answer = await get(logPath('container=compile'), 'mallory');
    assert.equal(answer.code, 403);
    assert.match(
      answer.json.message ?? '',
      /User "mallory" cannot get resource "pipelineruns" in API group "furrow.dev" in the namespace "team-a"/,
    );
    assert.deepEqual(state.reviews, ['mallory team-a/build']);
    assert.deepEqual(state.reads, []);
  });

  test('the authorizer unreachable: 503, never an accidental allow', async () => {
    addRun(1);
    state.authzError = new Error('connection refused');
    const answer = await get(logPath('container=compile'));
    assert.equal(answer.code, 503);
    assert.match(answer.json.message ?? '', /SubjectAccessReview.*connection refused/);
    assert.deepEqual(state.reads, []);
  });

  test('a bad parameter is a 400 naming it, before any review', async () => {
    const answer = await get(logPath('container=compile&attempt=zero'));
    assert.equal(answer.code, 400);
    assert.match(answer.json.message ?? '', /parameter attempt/);
    assert.deepEqual(state.reviews, []);
  });
});

describe('logs', () => {
  test('live from the attempt’s pod while it exists, byte for byte', async () => {
    addRun(2);
    addPod(2);
    state.podLogs.set('build-2/compile', 'one\ntwo');
    const answer = await get(logPath('container=compile&timestamps=true'));
    assert.equal(answer.code, 200, answer.body);
    assert.match(answer.type, /^text\/plain/);
    assert.equal(answer.body, 'one\ntwo');
    assert.ok(state.reads.includes('log team-a/build-2/compile timestamps'), state.reads.join());
  });

  test('follow streams until the pod’s log ends', async () => {
    addRun(1);
    addPod(1);
    const res = await fetch(`${base}${logPath('container=compile&follow=true')}`, {
      headers: { 'x-remote-user': 'alice' },
    });
    assert.equal(res.status, 200);
    const reader = res.body?.getReader();
    assert.ok(reader);
    const upstream = state.follows.at(-1);
    assert.ok(upstream);
    upstream.write('first\n');
    assert.equal(Buffer.from((await reader.read()).value ?? []).toString(), 'first\n');
    upstream.end('second\n');
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read())
      rest += Buffer.from(r.value).toString();
    assert.equal(rest, 'second\n');
  });

  test('from the archive once the pod is gone, timestamps stripped', async () => {
    addRun(1, 'a1', 'Cancelled');
    await archive('a1', 1, 'compile', '2026-12-02T10:00:00.000000001Z archived line\n');
    const answer = await get(logPath('container=compile'));
    assert.equal(answer.code, 200, answer.body);
    assert.equal(answer.body, 'archived line\n');
  });

  test('a pod of another run with the same name is not read: the archive is', async () => {
    addRun(1, 'a1', 'Succeeded');
    addPod(1, 'bbbb');
    await archive('a1', 1, 'compile', 'mine\n');
    const answer = await get(logPath('container=compile'));
    assert.equal(answer.body, 'mine\n');
    assert.ok(!state.reads.some((r) => r.startsWith('log ')));
  });

  test('after the PipelineRun is deleted: uid finds the archive, the latest attempt by default', async () => {
    await archive('01d', 1, 'compile', 'attempt one\n');
    await archive('01d', 2, 'compile', 'attempt two\n');
    assert.equal((await get(logPath('container=compile&uid=01d'))).body, 'attempt two\n');
    assert.equal((await get(logPath('container=compile&uid=01d&attempt=1'))).body, 'attempt one\n');
    const listing = await get('/apis/api.furrow.dev/v1alpha1/namespaces/team-a/pipelineruns/build/archive');
    assert.equal(listing.code, 200);
    assert.deepEqual(
      (listing.json.runs as { uid: string }[]).map((r) => r.uid),
      ['01d'],
    );
  });

  test('404s name what is missing: run, attempt, container', async () => {
    const cases: [() => void, string, RegExp][] = [
      [
        () => undefined,
        'container=compile',
        /pipelinerun team-a\/build not found; for a deleted run pass its uid/,
      ],
      [() => addRun(undefined), 'container=compile', /has no attempt yet \(phase Queued\)/],
      [() => addRun(1), 'container=compile&attempt=3', /has no attempt 3: its attempts are 1 to 1/],
      [
        () => (addRun(1), addPod(1)),
        'container=lint',
        /no container "lint"; it has: furrow-checkout, compile/,
      ],
      [() => undefined, 'container=compile&uid=dead', /with uid dead has no archived logs/],
    ];
    for (const [setup, query, message] of cases) {
      state.runs.clear();
      state.pods.clear();
      setup();
      const answer = await get(logPath(query));
      assert.equal(answer.code, 404, query);
      assert.equal(answer.json.kind, 'Status');
      assert.match(answer.json.message ?? '', message, query);
    }
  });

  test('the API server’s refusal of a pod log passes through with its code and words', async () => {
    addRun(1);
    addPod(1);
    state.podLogs.set(
      'build-1/compile',
      new StatusError(400, 'container "compile" in pod "build-1" is waiting to start: PodInitializing'),
    );
    const answer = await get(logPath('container=compile'));
    assert.equal(answer.code, 400);
    assert.match(answer.json.message ?? '', /waiting to start/);
  });

  test('the store down: 503 saying so', async () => {
    addRun(1, 'a1', 'Failed');
    store.fail = new Error('connect ECONNREFUSED');
    const answer = await get(logPath('container=compile'));
    assert.equal(answer.code, 503);
    assert.match(answer.json.message ?? '', /object store\) is unavailable/);
  });

  test('never crashes on bad input: odd paths, methods and encodings are Statuses', async () => {
    const paths = [
      '/apis/api.furrow.dev/v1alpha1/namespaces/UPPER/pipelineruns/x/log?container=a',
      '/apis/api.furrow.dev/v1alpha1/namespaces/a/pipelineruns/x/exec',
      '/apis/api.furrow.dev/v1alpha1/namespaces/a/pipelineruns/x/archive?uid=%ZZ',
      '/apis/api.furrow.dev/v1alpha1/namespaces/a/pipelineruns/x/archive?limit=1',
      `/apis/api.furrow.dev/v1alpha1/namespaces/a/pipelineruns/${'x'.repeat(5000)}/log`,
      '/%00',
      '//..//',
    ];
    for (const path of paths) {
      const answer = await get(path);
      assert.ok([400, 404].includes(answer.code), `${path}: ${answer.code}`);
      assert.equal(answer.json.kind, 'Status', path);
    }
    const raw = (path: string, method = 'GET') =>
      new Promise<IncomingMessage>((resolve, reject) =>
        request(base, { path, method, headers: { 'x-remote-user': 'alice' } }, resolve)
          .on('error', reject)
          .end(),
      );
    const res = await raw('/apis/api.furrow.dev/v1alpha1', 'DELETE');
    assert.equal(res.statusCode, 405);
    res.resume();
    // Paths fetch() would normalise, sent as they are: `new URL` throws on the first.
    for (const path of [
      '//..//',
      '/\\x',
      '/apis/api.furrow.dev/v1alpha1/namespaces/a/pipelineruns/b/log?container=%E0%A4%A',
    ]) {
      const answer = await raw(path);
      assert.ok([400, 404].includes(answer.statusCode ?? 0), `${path}: ${answer.statusCode}`);
      answer.resume();
    }
    assert.equal((await get('/healthz')).code, 200, 'still serving');
  });
});

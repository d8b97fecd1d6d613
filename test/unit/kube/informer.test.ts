// The informer's paging and restart paths, with lists from a fake getJson and watches from a
// local HTTP server. Rules: a list is read in pages of 500, each trimmed; an expired continue
// token (410) starts the list over, once; a failed list or watch is restarted with backoff, a
// watch resuming from the last resourceVersion without listing again, and its recovery is
// reported (the operator then resyncs).
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { test, type TestContext } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import { PooledKubeConfig } from '../../../src/kube/client.ts';
import { Informer } from '../../../src/kube/informer.ts';
import type { Pod } from '../../../src/kube/json.ts';
import { kubeConfigFor } from '../../support/local-kubeconfig.ts';
import { Metrics } from '../../../src/observability/metrics.ts';
import { silentLogger } from '../../../src/observability/logger.ts';

const pod = (name: string, rv = '1'): Pod => ({
  metadata: { name, namespace: 'ci', resourceVersion: rv, managedFields: [{ manager: 'kubectl' }] },
  spec: { containers: [] },
});

type Page = { items: Pod[]; metadata: { resourceVersion: string; continue?: string } };

/** A local API server for watches: `answer` decides each watch request's response. */
async function apiServer(
  t: TestContext,
  answer: (req: IncomingMessage, res: ServerResponse, n: number) => void,
) {
  const watches: URL[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    watches.push(url);
    answer(req, res, watches.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const address = server.address();
  const kc = kubeConfigFor(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
  return { kc, watches };
}

/** A watch that stays open, sending these events. */
const openWatch =
  (events: object[] = []) =>
  (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    for (const e of events) res.write(`${JSON.stringify(e)}\n`);
  };

function informer(
  kc: PooledKubeConfig,
  getJson: (path: string, q: Record<string, string | undefined>) => Promise<unknown>,
) {
  const metrics = new Metrics();
  let recovered = 0;
  const i = new Informer<Pod>(kc, {
    kind: 'Pod',
    path: '/api/v1/pods',
    clients: { getJson },
    trim: (p) => ({ metadata: p.metadata }),
    restartBackoff: { baseMs: 5, maxMs: 10 },
    logger: silentLogger(),
    metrics,
    onRecovered: () => recovered++,
  });
  return { i, metrics, recovered: () => recovered };
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('a list is read page by page, each object trimmed, then watched from its resourceVersion', async (t) => {
  const { kc, watches } = await apiServer(t, openWatch());
  const pages: Page[] = [
    { items: [pod('a'), pod('b')], metadata: { resourceVersion: '10', continue: 'p2' } },
    { items: [pod('c')], metadata: { resourceVersion: '10', continue: 'p3' } },
    { items: [pod('d')], metadata: { resourceVersion: '10' } },
  ];
  const queries: Record<string, string | undefined>[] = [];
  const { i } = informer(kc, (_path, q) => {
    queries.push(q);
    return Promise.resolve(structuredClone(pages[queries.length - 1]));
  });
  i.start();
  await i.waitForSync();
  t.after(() => i.stop());
  assert.deepEqual(
    queries.map((q) => [q.limit, q.continue]),
    [
      ['500', undefined],
      ['500', 'p2'],
      ['500', 'p3'],
    ],
  );
  assert.deepEqual(
    i
      .list()
      .map((p) => p.metadata?.name)
      .sort(),
    ['a', 'b', 'c', 'd'],
  );
  assert.equal(i.get('a', 'ci')?.metadata?.managedFields, undefined, 'managedFields dropped');
  assert.equal(i.get('a', 'ci')?.spec, undefined, 'trimmed');
  await until(() => watches.length === 1);
  assert.equal(watches[0]?.searchParams.get('resourceVersion'), '10');
  assert.equal(watches[0]?.searchParams.get('watch'), 'true');
});

test('an expired continue token starts the list over, without duplicates', async (t) => {
  const { kc } = await apiServer(t, openWatch());
  let calls = 0;
  const { i } = informer(kc, (_path, q) => {
    calls++;
    if (q.continue === 'stale')
      return Promise.reject(new ApiException(410, 'Gone', '{"reason":"Expired"}', {}));
    if (q.continue === undefined && calls === 1)
      return Promise.resolve({ items: [pod('a')], metadata: { resourceVersion: '5', continue: 'stale' } });
    if (q.continue === undefined)
      return Promise.resolve({ items: [pod('a')], metadata: { resourceVersion: '9', continue: 'fresh' } });
    return Promise.resolve({ items: [pod('b')], metadata: { resourceVersion: '9' } });
  });
  i.start();
  await i.waitForSync();
  t.after(() => i.stop());
  assert.equal(calls, 4);
  assert.deepEqual(
    i
      .list()
      .map((p) => p.metadata?.name)
      .sort(),
    ['a', 'b'],
  );
});

test('a failed list is restarted with backoff, and the cache syncs when it succeeds', async (t) => {
  const { kc } = await apiServer(t, openWatch());
  let calls = 0;
  const { i, metrics } = informer(kc, () => {
    calls++;
    if (calls < 3) return Promise.reject(new Error('connect ECONNREFUSED'));
    return Promise.resolve({ items: [pod('a')], metadata: { resourceVersion: '3' } });
  });
  i.start();
  await i.waitForSync();
  t.after(() => i.stop());
  assert.equal(calls, 3);
  assert.match(
    await metrics.registry.getSingleMetricAsString('furrow_informer_restarts_total'),
    /kind="Pod"} 2/,
  );
});

test('a failed watch resumes from the last resourceVersion without a new list, and reports its recovery', async (t) => {
  const { kc, watches } = await apiServer(t, (req, res, n) => {
    if (n === 1) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"kind":"Status","reason":"InternalError","code":500}');
      return;
    }
    openWatch([{ type: 'ADDED', object: pod('b', '8') }])(req, res);
  });
  let lists = 0;
  const { i, recovered } = informer(kc, () => {
    lists++;
    return Promise.resolve({ items: [pod('a')], metadata: { resourceVersion: '7' } });
  });
  const added: string[] = [];
  i.on({ add: (p) => added.push(p.metadata?.name ?? '') });
  i.start();
  t.after(() => i.stop());
  await until(() => added.includes('b'));
  assert.equal(lists, 1, 'no second list');
  assert.equal(watches.length, 2);
  assert.equal(watches[1]?.searchParams.get('resourceVersion'), '7');
  assert.equal(recovered(), 1);
  assert.equal(i.get('b', 'ci')?.metadata?.managedFields, undefined, 'watched objects are trimmed too');
});

// The local cluster's etcd through its v3 HTTP gateway (JSON, keys and values in base64): for
// chaos tests that change what is stored while the API server is down, and compact history so
// that watches resuming from an old resourceVersion get 410 Gone.
const port = process.env.FURROW_ETCD_PORT ?? '12379';
const base = `http://127.0.0.1:${port}/v3`;

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

async function call<T>(endpoint: string, body: object): Promise<T> {
  const res = await fetch(`${base}/${endpoint}`, { method: 'POST', body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`etcd ${endpoint}: HTTP ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

interface RangeResponse {
  header: { revision: string };
  kvs?: { key: string; value?: string; mod_revision: string }[];
}

/** The key of a namespaced custom resource, as the API server stores it. */
export function customResourceKey(group: string, plural: string, namespace: string, name: string): string {
  return `/registry/${group}/${plural}/${namespace}/${name}`;
}

/** The stored object (custom resources are stored as JSON), or undefined. */
export async function etcdGet<T>(key: string): Promise<T | undefined> {
  const r = await call<RangeResponse>('kv/range', { key: b64(key) });
  const value = r.kvs?.[0]?.value;
  return value === undefined ? undefined : (JSON.parse(unb64(value)) as T);
}

export async function etcdPut(key: string, value: unknown): Promise<void> {
  await call('kv/put', { key: b64(key), value: b64(JSON.stringify(value)) });
}

export async function etcdDelete(key: string): Promise<number> {
  const r = await call<{ deleted?: string }>('kv/deleterange', { key: b64(key) });
  return Number(r.deleted ?? 0);
}

/** Deletes every key under `prefix` (a test's bulk-written objects); returns how many. */
export async function etcdDeletePrefix(prefix: string): Promise<number> {
  const end = Buffer.from(prefix);
  end[end.length - 1] = (end[end.length - 1] ?? 0) + 1;
  const r = await call<{ deleted?: string }>('kv/deleterange', {
    key: b64(prefix),
    range_end: end.toString('base64'),
  });
  return Number(r.deleted ?? 0);
}

export async function etcdRevision(): Promise<number> {
  const r = await call<RangeResponse>('kv/range', { key: b64('/'), count_only: true });
  return Number(r.header.revision);
}

/** Drops all history before the current revision: watches from older versions get 410 Gone. */
export async function etcdCompact(): Promise<number> {
  const revision = await etcdRevision();
  await call('kv/compaction', { revision: String(revision), physical: true });
  return revision;
}

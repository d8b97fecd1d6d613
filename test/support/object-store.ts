// The local cluster's object store (versitygw; test/cluster/up.d/60-object-store.sh): its
// settings and keys as the cluster directory holds them, an S3Store on it, and stopping and
// starting its process for outage tests. The process runs as cluster component
// `object-store`, so component.sh restarts it with the same command line, data and keys.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { S3Store, type S3StoreOptions } from '../../src/store/s3-store.ts';
import { clusterDir, clusterScripts } from './paths.ts';

export interface LocalObjectStore {
  /** http://127.0.0.1:<FURROW_S3_PORT> */
  endpoint: string;
  bucket: string;
  region: string;
  /** Where the real node's pods reach it; undefined without a real node. */
  podEndpoint: string | undefined;
  accessKeyId: string;
  secretAccessKey: string;
  /** The variables the operator takes: FURROW_OBJECT_STORE_* and AWS_*. */
  env: Record<string, string>;
}

const storeDir = path.join(clusterDir, 'object-store');

function readEnvFile(file: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z_0-9]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/**
 * The running local cluster's object store (of the cluster in `dir`, default the one under
 * test); throws, saying why, when it has none.
 */
export function localObjectStore(dir = clusterDir): LocalObjectStore {
  const storeDir = path.join(dir, 'object-store');
  let settings: Record<string, string>;
  let keys: Record<string, string>;
  try {
    settings = readEnvFile(path.join(storeDir, 'settings.env'));
    keys = readEnvFile(path.join(storeDir, 'credentials'));
  } catch (err) {
    throw new Error(`the local cluster in ${dir} has no object store (test/cluster/up.sh starts one)`, {
      cause: err,
    });
  }
  const need = (from: Record<string, string>, name: string): string => {
    const value = from[name];
    if (!value) throw new Error(`${storeDir}: ${name} is missing`);
    return value;
  };
  const accessKeyId = need(keys, 'AWS_ACCESS_KEY_ID');
  const secretAccessKey = need(keys, 'AWS_SECRET_ACCESS_KEY');
  const endpoint = need(settings, 'FURROW_OBJECT_STORE_ENDPOINT');
  const bucket = need(settings, 'FURROW_OBJECT_STORE_BUCKET');
  const region = need(settings, 'FURROW_OBJECT_STORE_REGION');
  return {
    endpoint,
    bucket,
    region,
    podEndpoint: settings.FURROW_OBJECT_STORE_POD_ENDPOINT || undefined,
    accessKeyId,
    secretAccessKey,
    env: {
      FURROW_OBJECT_STORE_ENDPOINT: endpoint,
      FURROW_OBJECT_STORE_BUCKET: bucket,
      FURROW_OBJECT_STORE_REGION: region,
      FURROW_OBJECT_STORE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
    },
  };
}

/** Whether the local cluster has its object store; skips the test when not (kind, a real cluster). */
export function requireLocalObjectStore(t: TestContext): boolean {
  const there = existsSync(path.join(storeDir, 'settings.env'));
  if (!there) t.skip(`needs the local cluster's object store; ${clusterDir} has none`);
  return there;
}

/** An S3Store on the local store, with its keys; `overrides` for wrong keys, other buckets. */
export function localS3Store(overrides: Partial<S3StoreOptions> = {}): S3Store {
  const s = localObjectStore();
  return new S3Store({
    endpoint: s.endpoint,
    bucket: s.bucket,
    region: s.region,
    pathStyle: true,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
    ...overrides,
  });
}

function component(action: 'stop' | 'start'): void {
  execFileSync(path.join(clusterScripts, 'component.sh'), [action, 'object-store'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, FURROW_CLUSTER_DIR: clusterDir },
  });
}

/** Stops the store's process; connections to it are then refused. */
export function stopObjectStore(): void {
  component('stop');
}

/** Starts it again (same data, keys and ports) and waits until it accepts connections. */
export async function startObjectStore(timeoutMs = 20_000): Promise<void> {
  component('start');
  const { port, hostname } = new URL(localObjectStore().endpoint);
  const deadline = Date.now() + timeoutMs;
  while (!(await accepts(hostname, Number(port)))) {
    if (Date.now() > deadline) throw new Error(`the object store did not come back within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

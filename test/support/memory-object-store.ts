// An in-memory ObjectStore for unit tests of code that uses the interface (the archiver, the
// retention sweep). End-to-end tests use the local cluster's real S3 server instead.
import { Readable } from 'node:stream';
import type { ObjectInfo, ObjectStore, PutOptions } from '../../src/store/object-store.ts';

export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, { body: Buffer; lastModified: Date; options?: PutOptions }>();
  /** Every call, in order: "put KEY", "head KEY", "delete KEY"... */
  readonly calls: string[] = [];
  /** Thrown by every call while set (a store that is down). */
  failure: Error | undefined;
  clock: () => number = Date.now;

  async put(key: string, body: Readable | Buffer | string, options?: PutOptions): Promise<{ bytes: number }> {
    this.calls.push(`put ${key}`);
    if (this.failure) throw this.failure;
    const chunks: Buffer[] = [];
    if (typeof body === 'string' || Buffer.isBuffer(body)) chunks.push(Buffer.from(body));
    else for await (const chunk of body) chunks.push(Buffer.from(chunk as Buffer));
    const data = Buffer.concat(chunks);
    this.objects.set(key, {
      body: data,
      lastModified: new Date(this.clock()),
      ...(options ? { options } : {}),
    });
    return { bytes: data.length };
  }

  get(key: string): Promise<Readable | undefined> {
    this.calls.push(`get ${key}`);
    if (this.failure) return Promise.reject(this.failure);
    const o = this.objects.get(key);
    return Promise.resolve(o ? Readable.from([o.body]) : undefined);
  }

  head(key: string): Promise<ObjectInfo | undefined> {
    this.calls.push(`head ${key}`);
    if (this.failure) return Promise.reject(this.failure);
    const o = this.objects.get(key);
    return Promise.resolve(o ? { key, size: o.body.length, lastModified: o.lastModified } : undefined);
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    this.calls.push(`list ${prefix}`);
    if (this.failure) throw this.failure;
    for (const key of [...this.objects.keys()].sort()) {
      const o = this.objects.get(key);
      if (key.startsWith(prefix) && o) yield { key, size: o.body.length, lastModified: o.lastModified };
    }
    await Promise.resolve();
  }

  delete(keys: string[]): Promise<void> {
    for (const key of keys) this.calls.push(`delete ${key}`);
    if (this.failure) return Promise.reject(this.failure);
    for (const key of keys) this.objects.delete(key);
    return Promise.resolve();
  }

  text(key: string): string | undefined {
    return this.objects.get(key)?.body.toString('utf8');
  }
}

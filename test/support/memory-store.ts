// A small in-memory ObjectStore (src/store/object-store.ts) for unit tests of code that reads
// or writes the archive through the interface. Never for end-to-end tests: those talk to the
// local cluster's real S3 server. `fail` makes every call throw, as a store that is down.
import { Readable } from 'node:stream';
import type { ObjectInfo, ObjectStore, PutOptions } from '../../src/store/object-store.ts';

export class MemoryStore implements ObjectStore {
  readonly objects = new Map<string, { body: Buffer; lastModified: Date }>();
  fail: Error | undefined;
  readonly calls: string[] = [];

  /** Records the call and answers after a turn of the event loop, as a network store would. */
  private async check(call: string): Promise<void> {
    this.calls.push(call);
    await new Promise((resolve) => setImmediate(resolve));
    if (this.fail) throw this.fail;
  }

  async put(
    key: string,
    body: Readable | Buffer | string,
    _options?: PutOptions,
  ): Promise<{ bytes: number }> {
    await this.check(`put ${key}`);
    let bytes: Buffer;
    if (typeof body === 'string' || Buffer.isBuffer(body)) bytes = Buffer.from(body);
    else {
      const chunks: Buffer[] = [];
      for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
      bytes = Buffer.concat(chunks);
    }
    this.objects.set(key, { body: bytes, lastModified: new Date() });
    return { bytes: bytes.length };
  }

  async get(key: string): Promise<Readable | undefined> {
    await this.check(`get ${key}`);
    const found = this.objects.get(key);
    // Small chunks, so readers are tested across chunk boundaries.
    if (!found) return undefined;
    const chunks: Buffer[] = [];
    for (let i = 0; i < found.body.length; i += 7) chunks.push(found.body.subarray(i, i + 7));
    return Readable.from(chunks);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    await this.check(`head ${key}`);
    const found = this.objects.get(key);
    return found ? { key, size: found.body.length, lastModified: found.lastModified } : undefined;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    await this.check(`list ${prefix}`);
    for (const key of [...this.objects.keys()].sort())
      if (key.startsWith(prefix)) {
        const found = this.objects.get(key);
        if (found) yield { key, size: found.body.length, lastModified: found.lastModified };
      }
  }

  async delete(keys: string[]): Promise<void> {
    await this.check(`delete ${keys.length}`);
    for (const key of keys) this.objects.delete(key);
  }
}

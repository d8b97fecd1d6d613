// The object store as Furrow uses it: a bucket of keys, written as streams, read as streams,
// listed by prefix. The operator's log archiver, furrow-api and (later) caches and artifacts
// depend on this interface only; s3-store.ts implements it with the AWS SDK for any S3 API.
import type { Readable } from 'node:stream';

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

export interface PutOptions {
  contentType?: string;
  /** Small string metadata kept with the object (x-amz-meta-*). */
  metadata?: Record<string, string>;
  /** Aborts the upload; a partial multipart upload is aborted, never completed. */
  signal?: AbortSignal;
}

export interface ObjectStore {
  /** Streams body to key without holding it in memory; resolves with the bytes written. */
  put(key: string, body: Readable | Buffer | string, options?: PutOptions): Promise<{ bytes: number }>;
  /** The object's bytes as a stream; undefined when the key doesn't exist. */
  get(key: string, options?: { signal?: AbortSignal }): Promise<Readable | undefined>;
  /** Whether the key exists, and its size; undefined when it doesn't. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Every object under prefix, in key order, page by page. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Deletes keys (a missing key is not an error). */
  delete(keys: string[]): Promise<void>;
}

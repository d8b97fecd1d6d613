// ObjectStore over any S3 API (AWS S3, MinIO, Ceph RGW, GCS interoperability, versitygw) with
// the AWS SDK (ADR 10). Bodies stream both ways: an upload holds at most queueSize × partSize
// bytes (two 5 MiB parts) whatever the object's size, and a download is the HTTP response
// itself. Every failure is a StoreError whose kind says whether to retry (errors.ts).
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { ObjectInfo, ObjectStore, PutOptions } from './object-store.ts';
import { StoreError } from './errors.ts';

export interface S3StoreOptions {
  bucket: string;
  /** The S3 API's URL; unset = AWS S3's endpoint for the region. */
  endpoint?: string | undefined;
  region: string;
  /** <endpoint>/<bucket>/<key> rather than <bucket>.<endpoint>/<key>. */
  pathStyle: boolean;
  /** Explicit keys (tests). Unset = the SDK's default chain: AWS_ACCESS_KEY_ID and
   * AWS_SECRET_ACCESS_KEY, a web identity token (IAM roles for service accounts), a profile. */
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** Attempts per request, the first included (the SDK backs off between them). */
  maxAttempts?: number;
  /** Connecting gives up after this; a socket idle this long fails the request. */
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
}

// S3's smallest part. Two in flight: a part uploads while the next one fills.
const partSize = 5 * 1024 * 1024;
const queueSize = 2;
const deleteBatch = 1000; // DeleteObjects' limit

export class S3Store implements ObjectStore {
  readonly bucket: string;
  private readonly client: S3Client;

  constructor(options: S3StoreOptions) {
    this.bucket = options.bucket;
    this.client = new S3Client({
      region: options.region,
      forcePathStyle: options.pathStyle,
      maxAttempts: options.maxAttempts ?? 3,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      // Checksums only where the API requires them: the newer default (CRC32 on every request)
      // is refused by several S3-compatible stores (GCS interoperability, older Ceph and MinIO).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        connectionTimeout: options.connectTimeoutMs ?? 5_000,
        requestTimeout: options.idleTimeoutMs ?? 60_000,
      },
    });
  }

  async put(
    key: string,
    body: Readable | Buffer | string,
    options: PutOptions = {},
  ): Promise<{ bytes: number }> {
    const { signal } = options;
    if (signal?.aborted) throw new StoreError(`put ${key}`, signal.reason);
    let bytes = 0;
    let source: Buffer | Readable;
    let piping: Promise<void> | undefined;
    if (body instanceof Readable) {
      // Counts what passes; destroying it on abort fails the upload's read, and the Upload then
      // aborts its multipart upload before it rejects, so no part is left behind or completed.
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          done(null, chunk);
        },
      });
      piping = pipeline(body, counter).catch(() => {}); // the Upload sees the error through counter
      source = counter;
    } else {
      source = typeof body === 'string' ? Buffer.from(body) : body;
      bytes = source.length;
    }
    const upload = new Upload({
      client: this.client,
      queueSize,
      partSize,
      leavePartsOnError: false,
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: source,
        ...(options.contentType ? { ContentType: options.contentType } : {}),
        ...(options.metadata ? { Metadata: options.metadata } : {}),
      },
    });
    const onAbort = (): void => {
      if (source instanceof Readable) source.destroy(abortError(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await upload.done();
      await piping;
      return { bytes };
    } catch (err) {
      throw new StoreError(`put ${key}`, signal?.aborted ? abortError(signal) : err);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<Readable | undefined> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key }),
        options.signal ? { abortSignal: options.signal } : {},
      );
      // In Node the body is the HTTP response: an IncomingMessage, a Readable.
      return out.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new StoreError(`get ${key}`, err);
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { key, size: out.ContentLength ?? 0, lastModified: out.LastModified ?? new Date(0) };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new StoreError(`head ${key}`, err);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
        );
      } catch (err) {
        throw new StoreError(`list ${prefix}`, err);
      }
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined) continue;
        yield { key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += deleteBatch) {
      const batch = keys.slice(i, i + deleteBatch);
      let out;
      try {
        out = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
      } catch (err) {
        throw new StoreError(`delete ${batch.length} keys`, err);
      }
      // Per-key failures come back in a 200 answer; a key that was already gone is not one.
      const failed = (out.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      const first = failed[0];
      if (first) {
        throw new StoreError(
          `delete ${first.Key ?? ''} (and ${failed.length - 1} more)`,
          Object.assign(new Error(first.Message ?? first.Code ?? 'delete failed'), { name: first.Code }),
        );
      }
    }
  }

  /** Closes the client's sockets. */
  destroy(): void {
    this.client.destroy();
  }
}

function isNotFound(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  return name === 'NoSuchKey' || name === 'NotFound';
}

function abortError(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error && reason.name === 'AbortError'
    ? reason
    : Object.assign(new Error('aborted', { cause: reason }), { name: 'AbortError' });
}

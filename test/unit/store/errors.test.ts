import assert from 'node:assert/strict';
import { test } from 'node:test';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { StoreError, classifyStoreError, type StoreErrorKind } from '../../../src/store/errors.ts';

// What the SDK throws for an S3 error answer: the error code as the name, the HTTP status.
const s3 = (name: string, status: number): S3ServiceException =>
  new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });
// What Node throws for a failed connection.
const system = (code: string): Error => Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });

test('each store failure is classified by what the caller should do about it', () => {
  const cases: [string, unknown, StoreErrorKind, RegExp][] = [
    ['connection refused', system('ECONNREFUSED'), 'unavailable', /unreachable.*ECONNREFUSED/],
    ['connection reset', system('ECONNRESET'), 'unavailable', /unreachable/],
    ['connect timeout', system('ETIMEDOUT'), 'unavailable', /unreachable/],
    ['DNS', system('ENOTFOUND'), 'unavailable', /unreachable/],
    [
      'SDK socket timeout',
      Object.assign(new Error('timed out'), { name: 'TimeoutError' }),
      'unavailable',
      /unreachable/,
    ],
    [
      'refused on every address',
      new AggregateError([system('ECONNREFUSED'), system('ECONNREFUSED')], ''),
      'unavailable',
      /unreachable/,
    ],
    ['500', s3('InternalError', 500), 'unavailable', /5xx/],
    ['503', s3('ServiceUnavailable', 503), 'unavailable', /503/],
    ['503 slow down', s3('SlowDown', 503), 'unavailable', /slow down/],
    ['502 without a code', s3('Unknown', 502), 'unavailable', /HTTP 502/],
    ['wrong access key', s3('InvalidAccessKeyId', 403), 'credentials', /access key id/],
    ['wrong secret', s3('SignatureDoesNotMatch', 403), 'credentials', /secret access key is wrong/],
    ['no permission', s3('AccessDenied', 403), 'credentials', /access denied/],
    ['403 to a HEAD (no body, no code)', s3('403', 403), 'credentials', /HTTP 403/],
    [
      'no credentials in the chain',
      Object.assign(new Error('Could not load credentials'), { name: 'CredentialsProviderError' }),
      'credentials',
      /no credentials found/,
    ],
    ['missing bucket', s3('NoSuchBucket', 404), 'bucket', /bucket does not exist/],
    ['too large', s3('EntityTooLarge', 400), 'full', /larger than/],
    ['quota', s3('XMinioAdminBucketQuotaExceeded', 400), 'full', /quota/],
    ['disk full', s3('XMinioStorageFull', 507), 'full', /out of space/],
    ['507 without a known code', s3('Whatever', 507), 'full', /507/],
    ['aborted', new DOMException('This operation was aborted', 'AbortError'), 'aborted', /aborted/],
    ['a bad request', s3('InvalidArgument', 400), 'other', /HTTP 400/],
    ['not an error at all', 'boom', 'other', /Error|unknown/],
  ];
  for (const [what, err, kind, message] of cases) {
    const c = classifyStoreError(err);
    assert.equal(c.kind, kind, what);
    assert.match(c.message, message, what);
    assert.ok(c.message.length < 160, `${what}: a short message`);
  }
});

test('a StoreError keeps its class and its cause, and names the operation', () => {
  const cause = s3('NoSuchBucket', 404);
  const err = new StoreError('put logs/x', cause);
  assert.equal(err.kind, 'bucket');
  assert.equal(err.code, 'NoSuchBucket');
  assert.equal(err.cause, cause);
  assert.match(err.message, /^object store put logs\/x: the bucket does not exist/);
  assert.equal(classifyStoreError(err).kind, 'bucket', 'classifying it again keeps the kind');
});

// What went wrong with an object store request, in the few kinds a caller acts on differently:
//   unavailable  the store can't be reached or is failing (refused, reset, timed out, 5xx):
//                keep the work and try again later
//   credentials  the store refuses who we are (wrong key or secret, no permission, no
//                credentials found): retrying won't help until someone fixes the Secret or role
//   bucket       the bucket doesn't exist
//   full         no room: quota, insufficient storage, an object over the store's size limit
//   aborted      the caller aborted the request
//   other        anything else (a bug, an unexpected answer)
// The S3 error codes are the S3 API's (and what MinIO, Ceph, versitygw and GCS return for them);
// network errors are Node's system error codes, which the SDK passes through.

export type StoreErrorKind = 'unavailable' | 'credentials' | 'bucket' | 'full' | 'aborted' | 'other';

export interface StoreErrorClass {
  kind: StoreErrorKind;
  /** The S3 error code, the system error code or the error's name: for logs and metrics. */
  code: string;
  /** Short, for a human: what it means and what to check. */
  message: string;
}

/** An object store request that failed, classified; `cause` is the SDK's or Node's error. */
export class StoreError extends Error {
  readonly kind: StoreErrorKind;
  readonly code: string;
  constructor(operation: string, cause: unknown) {
    const c = classifyStoreError(cause);
    super(`object store ${operation}: ${c.message}`, { cause });
    this.name = 'StoreError';
    this.kind = c.kind;
    this.code = c.code;
  }
}

const codes: Record<string, [StoreErrorKind, string]> = {
  InvalidAccessKeyId: ['credentials', 'the access key id is not known to the store'],
  SignatureDoesNotMatch: ['credentials', 'the secret access key is wrong'],
  AccessDenied: ['credentials', 'access denied: the credentials may not use this bucket'],
  Forbidden: ['credentials', 'access denied (403): check the credentials and their permissions'],
  ExpiredToken: ['credentials', 'the session token has expired'],
  InvalidToken: ['credentials', 'the session token is invalid'],
  InvalidClientTokenId: ['credentials', 'the web identity token was refused'],
  CredentialsProviderError: ['credentials', 'no credentials found (AWS_* variables, web identity, profile)'],
  NoSuchBucket: ['bucket', 'the bucket does not exist'],
  EntityTooLarge: ['full', 'the object is larger than the store allows'],
  QuotaExceeded: ['full', 'the bucket’s quota is exceeded'],
  XMinioAdminBucketQuotaExceeded: ['full', 'the bucket’s quota is exceeded'],
  XMinioStorageFull: ['full', 'the store is out of space'],
  StorageFull: ['full', 'the store is out of space'],
  InsufficientStorage: ['full', 'the store is out of space'],
  ENOSPC: ['full', 'the store is out of space'],
  InternalError: ['unavailable', 'the store failed internally (5xx); will retry'],
  ServiceUnavailable: ['unavailable', 'the store is unavailable (503); will retry'],
  SlowDown: ['unavailable', 'the store asks to slow down (503); will retry'],
  RequestTimeout: ['unavailable', 'the request timed out; will retry'],
  RequestTimeTooSkewed: ['other', 'this machine’s clock differs too much from the store’s'],
  AbortError: ['aborted', 'aborted'],
};

// Node's and the SDK's network failures: the store isn't there (yet, or any more).
const unreachable = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'TimeoutError',
  'NetworkingError',
]);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

export function classifyStoreError(err: unknown): StoreErrorClass {
  if (err instanceof StoreError) return { kind: err.kind, code: err.code, message: err.message };
  const e = (typeof err === 'object' && err !== null ? err : {}) as ErrorLike;
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  // An S3 error's name is its code; a system error has `code`; an AggregateError (a connection
  // tried on several addresses) or a wrapped error has the useful one inside.
  const code = [e.Code, e.code, e.name].find((c): c is string => typeof c === 'string' && c in codes);
  const known = code === undefined ? undefined : codes[code];
  if (code && known) {
    const [kind, message] = known;
    return { kind, code, message: status ? `${message} (HTTP ${status})` : message };
  }
  const system = [e.code, e.name].find((c): c is string => typeof c === 'string' && unreachable.has(c));
  if (system)
    return {
      kind: 'unavailable',
      code: system,
      message: `the store is unreachable (${text(e)}); will retry`,
    };
  const inner: unknown = Array.isArray(e.errors) ? (e.errors as unknown[])[0] : e.cause;
  if (inner !== undefined && inner !== err) {
    const c = classifyStoreError(inner);
    if (c.kind !== 'other') return c;
  }
  const name = typeof e.name === 'string' ? e.name : 'Error';
  if (status === 507) return { kind: 'full', code: name, message: 'the store is out of space (HTTP 507)' };
  if (status !== undefined && status >= 500)
    return {
      kind: 'unavailable',
      code: name,
      message: `the store failed (HTTP ${status}: ${name}); will retry`,
    };
  if (status === 403)
    return { kind: 'credentials', code: name, message: `access denied (HTTP 403: ${name})` };
  return { kind: 'other', code: name, message: status ? `HTTP ${status}: ${text(e)}` : text(e) };
}

function text(e: ErrorLike): string {
  const message =
    typeof e.message === 'string' && e.message
      ? e.message
      : typeof e.name === 'string'
        ? e.name
        : 'unknown error';
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}

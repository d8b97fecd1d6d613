// Reading client-node's errors. ApiException carries the HTTP status and the raw response
// body (text); anything else (connection refused, reset, timeout) is a transport error.
import { ApiException } from '@kubernetes/client-node';

/** The HTTP status code of an API error, or undefined for transport errors. */
export function httpStatus(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

export const isNotFound = (err: unknown): boolean => httpStatus(err) === 404;
export const isAlreadyExists = (err: unknown): boolean =>
  httpStatus(err) === 409 && reason(err) === 'AlreadyExists';
export const isConflict = (err: unknown): boolean =>
  httpStatus(err) === 409 && reason(err) !== 'AlreadyExists';
export const isGone = (err: unknown): boolean => httpStatus(err) === 410;

/** The Status reason (AlreadyExists, Conflict, Invalid, ...) from the error's body, if any. */
export function reason(err: unknown): string | undefined {
  return status(err)?.reason;
}

interface StatusBody {
  reason?: string;
  message?: string;
}

function status(err: unknown): StatusBody | undefined {
  if (!(err instanceof ApiException)) return undefined;
  const body: unknown = err.body;
  if (typeof body === 'object' && body !== null) return body;
  if (typeof body !== 'string') return undefined;
  try {
    return JSON.parse(body) as StatusBody;
  } catch {
    return undefined;
  }
}

/** A short human description of any error, for logs and conditions. */
export function describeError(err: unknown): string {
  if (err instanceof ApiException) {
    const s = status(err);
    return `HTTP ${err.code}${s?.reason ? ` ${s.reason}` : ''}: ${s?.message ?? err.message.split('\n')[0] ?? ''}`;
  }
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const detail = cause instanceof Error ? ` (${cause.message})` : '';
    return `${err.message}${detail}`;
  }
  return String(err);
}

/**
 * How long the server asked us to wait (429 Too Many Requests, or 503 with Retry-After), in
 * milliseconds; undefined when it didn't say.
 */
export function retryAfterMs(err: unknown): number | undefined {
  if (!(err instanceof ApiException)) return undefined;
  if (err.code !== 429 && err.code !== 503) return undefined;
  const header = err.headers['retry-after'] ?? err.headers['Retry-After'];
  if (header === undefined) return err.code === 429 ? 1000 : undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

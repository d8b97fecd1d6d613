// The log subresource's query parameters, checked before anything is read: a bad one is a 400
// naming the parameter, never an exception deeper down.
import { StatusError } from './status.ts';

export interface LogQuery {
  container: string;
  /** Undefined: the latest attempt. */
  attempt: number | undefined;
  /** Undefined: the current PipelineRun object's uid. */
  uid: string | undefined;
  follow: boolean;
  timestamps: boolean;
}

// Container names are DNS labels; a uid is what the API server generates (a UUID), kept loose.
const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const uidPattern = /^[0-9a-fA-F-]{1,64}$/;
const known = new Set(['container', 'attempt', 'uid', 'follow', 'timestamps']);

function bool(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  if (value === null) return false;
  if (value === '' || value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new StatusError(400, `query parameter ${name}: expected true or false, got "${value}"`);
}

function single(query: URLSearchParams, name: string): string | null {
  const all = query.getAll(name);
  if (all.length > 1)
    throw new StatusError(400, `query parameter ${name}: given ${all.length} times, expected once`);
  return all[0] ?? null;
}

export function parseUid(query: URLSearchParams): string | undefined {
  const uid = single(query, 'uid');
  if (uid === null) return undefined;
  if (!uidPattern.test(uid))
    throw new StatusError(400, `query parameter uid: "${uid}" is not a PipelineRun uid`);
  return uid;
}

export function parseLogQuery(query: URLSearchParams): LogQuery {
  for (const name of query.keys())
    if (!known.has(name))
      throw new StatusError(
        400,
        `unknown query parameter ${name}: expected container, attempt, uid, follow or timestamps`,
      );
  const container = single(query, 'container');
  if (container === null || container === '')
    throw new StatusError(
      400,
      'query parameter container is required: furrow-checkout, a step or a service name',
    );
  if (!dnsLabel.test(container))
    throw new StatusError(
      400,
      `query parameter container: "${container.slice(0, 80)}" is not a container name`,
    );
  const rawAttempt = single(query, 'attempt');
  let attempt: number | undefined;
  if (rawAttempt !== null) {
    if (!/^[1-9]\d{0,5}$/.test(rawAttempt))
      throw new StatusError(
        400,
        `query parameter attempt: expected a number from 1, got "${rawAttempt.slice(0, 80)}"`,
      );
    attempt = Number(rawAttempt);
  }
  return {
    container,
    attempt,
    uid: parseUid(query),
    follow: bool(query, 'follow'),
    timestamps: bool(query, 'timestamps'),
  };
}

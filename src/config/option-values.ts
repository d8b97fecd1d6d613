// How an option's raw text (a flag's value, an environment variable, a default) becomes its
// value, by kind, with an error that names where the text came from. options.ts holds the
// definitions; this is the part of parsing that doesn't depend on which option it is.
import { parseDuration } from '../resources/duration.ts';
import { isLogLevel } from '../observability/logger.ts';

export class OptionsError extends Error {}

export type Kind =
  | 'string'
  | 'integer'
  | 'port'
  | 'boolean'
  | 'duration'
  | 'list'
  | 'loglevel'
  | 'logformat'
  | 'url'
  | 'bucket';

export interface ValueSpec {
  kind: Kind;
  min?: number;
  /** Longest duration in ms (default: what a Node timer can hold). */
  maxMs?: number;
  /** A duration given to the operator in whole seconds rather than ms. */
  seconds?: boolean;
}

const maxTimerMs = 24 * 24 * 3_600_000;

export function convertValue(def: ValueSpec, raw: string, source: string): unknown {
  const fail = (why: string): never => {
    throw new OptionsError(`${source}: ${why} (got "${raw}")`);
  };
  switch (def.kind) {
    case 'string':
      return raw;
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    case 'boolean':
      if (['true', '1', 'yes'].includes(raw)) return true;
      if (['false', '0', 'no'].includes(raw)) return false;
      return fail('must be true or false');
    case 'integer':
    case 'port': {
      if (!/^\d+$/.test(raw)) return fail('must be a whole number');
      const n = Number(raw);
      if (def.kind === 'port' && n > 65535) return fail('must be a port number, 0-65535');
      if (def.min !== undefined && n < def.min) return fail(`must be at least ${def.min}`);
      return n;
    }
    case 'duration': {
      const ms = parseDuration(raw);
      if (ms === undefined) return fail('must be a duration such as 90s, 10m or 1h');
      if (def.seconds) return Math.round(ms / 1000);
      // Most become Node timers, which fire at once beyond 2^31 - 1 ms (24.8 days).
      const maxMs = def.maxMs ?? maxTimerMs;
      if (ms > maxMs) return fail(`must be at most ${Math.floor(maxMs / 86_400_000)} days`);
      if (ms <= 0) return fail('must be longer than 0');
      return ms;
    }
    case 'loglevel':
      return isLogLevel(raw) ? raw : fail('must be error, warn, info or debug');
    case 'logformat':
      return raw === 'json' || raw === 'text' ? raw : fail('must be json or text');
    case 'url':
    case 'bucket':
      // Empty (a chart value left blank) means unset, as if not given at all.
      if (raw === '') return undefined;
      return def.kind === 'url' ? url(raw, fail) : bucket(raw, fail);
  }
}

function url(raw: string, fail: (why: string) => never): string {
  return URL.canParse(raw) && /^https?:\/\/[^/]/.test(raw) ? raw : fail('must be an http:// or https:// URL');
}

// S3's bucket naming rules, so a typo is refused at start-up rather than at the first put.
function bucket(raw: string, fail: (why: string) => never): string {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(raw) && !raw.includes('..')
    ? raw
    : fail('must be a bucket name: 3-63 lowercase letters, digits, dots and hyphens');
}

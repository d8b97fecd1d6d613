// furrow-api's flags (its own, small set: the operator's options are another process's). Pure:
// argv and env in, options or an OptionsError naming the flag out. Every flag also reads a
// FURROW_API_* environment variable (the chart passes flags; make up passes both).
import { parseArgs } from 'node:util';
import { isLogLevel, type LogFormat, type LogLevel } from '../observability/logger.ts';

export interface ApiOptions {
  kubeconfig: string | undefined;
  /** Addresses to listen on, each with securePort (make up: 127.0.0.1 and the host address). */
  bindAddresses: string[];
  securePort: number;
  tlsCertFile: string;
  tlsKeyFile: string;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** How long an authorization decision is reused for the same user and run. */
  authorizationCacheMs: number;
  /** The archive's store, named exactly as the operator's (the chart gives both the same env). */
  objectStoreEndpoint: string | undefined;
  objectStoreBucket: string | undefined;
  objectStoreRegion: string;
  objectStorePathStyle: boolean;
  help: boolean;
}

export class OptionsError extends Error {}

const flags = {
  kubeconfig: {
    type: 'string',
    env: 'FURROW_API_KUBECONFIG',
    help: 'kubeconfig file; default $KUBECONFIG, ~/.kube/config, then in-cluster',
  },
  'bind-address': {
    type: 'string',
    env: 'FURROW_API_BIND_ADDRESS',
    default: '0.0.0.0',
    help: 'comma-separated addresses to listen on',
  },
  'secure-port': { type: 'string', env: 'FURROW_API_SECURE_PORT', default: '8443', help: 'HTTPS port' },
  'tls-cert-file': {
    type: 'string',
    env: 'FURROW_API_TLS_CERT_FILE',
    help: 'serving certificate (PEM), required',
  },
  'tls-private-key-file': {
    type: 'string',
    env: 'FURROW_API_TLS_PRIVATE_KEY_FILE',
    help: 'its private key (PEM), required',
  },
  'log-level': {
    type: 'string',
    env: 'FURROW_API_LOG_LEVEL',
    default: 'info',
    help: 'error, warn, info or debug',
  },
  'log-format': { type: 'string', env: 'FURROW_API_LOG_FORMAT', default: 'json', help: 'json or text' },
  'authorization-cache': {
    type: 'string',
    env: 'FURROW_API_AUTHORIZATION_CACHE_SECONDS',
    default: '10',
    help: 'seconds an allow or deny decision is reused',
  },
  // The operator's store variables (FURROW_OBJECT_STORE_*), so one env block configures both;
  // credentials come from the AWS SDK's default chain, as for the operator.
  'object-store-endpoint': {
    type: 'string',
    env: 'FURROW_OBJECT_STORE_ENDPOINT',
    help: 'URL of the S3 API holding archived logs; unset = AWS S3 in the region',
  },
  'object-store-bucket': {
    type: 'string',
    env: 'FURROW_OBJECT_STORE_BUCKET',
    help: 'the bucket of archived logs; unset = no archive (live logs only)',
  },
  'object-store-region': {
    type: 'string',
    env: 'FURROW_OBJECT_STORE_REGION',
    default: 'us-east-1',
    help: 'the region requests are signed for',
  },
  'object-store-path-style': {
    type: 'string',
    env: 'FURROW_OBJECT_STORE_PATH_STYLE',
    default: 'true',
    help: 'true: <endpoint>/<bucket>/<key>; false: virtual-hosted <bucket>.<endpoint>',
  },
  help: { type: 'boolean', env: '', help: 'print this help' },
} as const;

type Flag = keyof typeof flags;

export function apiHelpText(): string {
  const lines = Object.entries(flags).map(([name, f]) => {
    const def = 'default' in f ? ` (default ${f.default})` : '';
    const env = f.env ? ` [${f.env}]` : '';
    return `  --${name.padEnd(22)} ${f.help}${def}${env}`;
  });
  return [
    'Usage: furrow-api [flags]',
    "Serves Furrow's aggregated API (api.furrow.dev): run logs.",
    '',
    ...lines,
  ].join('\n');
}

function integer(flag: Flag, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw new OptionsError(`--${flag}: expected an integer from ${min} to ${max}, got "${raw}"`);
  return Number(raw);
}

function boolean(flag: Flag, raw: string): boolean {
  if (raw !== 'true' && raw !== 'false')
    throw new OptionsError(`--${flag}: expected true or false, got "${raw}"`);
  return raw === 'true';
}

export function parseApiOptions(argv: string[], env: NodeJS.ProcessEnv): ApiOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(Object.entries(flags).map(([name, f]) => [name, { type: f.type }]));
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new OptionsError(err instanceof Error ? err.message : String(err));
  }
  const get = (flag: Flag): string | undefined => {
    const v = values[flag];
    if (typeof v === 'string') return v;
    const def = flags[flag];
    const fromEnv = def.env ? env[def.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    return 'default' in def ? def.default : undefined;
  };
  if (values.help === true) return { help: true } as ApiOptions;
  const logLevel = get('log-level') ?? 'info';
  if (!isLogLevel(logLevel))
    throw new OptionsError(`--log-level: expected error, warn, info or debug, got "${logLevel}"`);
  const logFormat = get('log-format') ?? 'json';
  if (logFormat !== 'json' && logFormat !== 'text')
    throw new OptionsError(`--log-format: expected json or text, got "${logFormat}"`);
  const tlsCertFile = get('tls-cert-file');
  const tlsKeyFile = get('tls-private-key-file');
  if (!tlsCertFile) throw new OptionsError('--tls-cert-file is required: furrow-api serves HTTPS only');
  if (!tlsKeyFile) throw new OptionsError('--tls-private-key-file is required: furrow-api serves HTTPS only');
  const bindAddresses = (get('bind-address') ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  if (bindAddresses.length === 0) throw new OptionsError('--bind-address: give at least one address');
  return {
    kubeconfig: get('kubeconfig'),
    bindAddresses,
    securePort: integer('secure-port', get('secure-port') ?? '', 1, 65535),
    tlsCertFile,
    tlsKeyFile,
    logLevel,
    logFormat,
    authorizationCacheMs: integer('authorization-cache', get('authorization-cache') ?? '', 0, 3600) * 1000,
    objectStoreEndpoint: get('object-store-endpoint'),
    objectStoreBucket: get('object-store-bucket'),
    objectStoreRegion: get('object-store-region') ?? 'us-east-1',
    objectStorePathStyle: boolean('object-store-path-style', get('object-store-path-style') ?? 'true'),
    help: false,
  };
}

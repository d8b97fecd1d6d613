// The operator's configuration: every option once, with its flag, environment variable,
// default and help text. parseOptions is pure (argv and env in, options or an error out), so a
// wrong option is a clear error at start-up, and --help documents exactly what is parsed.
import type { LogFormat, LogLevel } from '../observability/logger.ts';
import { OptionsError, convertValue, type ValueSpec } from './option-values.ts';
import { runnerNetworkPolicyDefinitions } from './runner-network-policy-options.ts';

export { OptionsError };

export interface Options {
  kubeconfig: string | undefined;
  namespaces: string[];
  poolSelector: string;
  workers: number;
  metricsPort: number;
  healthPort: number;
  bindAddress: string;
  logLevel: LogLevel;
  logFormat: LogFormat;
  leaderElect: boolean;
  leaseName: string;
  leaseNamespace: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  defaultTtlSeconds: number | undefined;
  defaultPendingTimeoutMs: number;
  gitImage: string;
  kubeApiQps: number;
  kubeApiBurst: number;
  requestTimeoutMs: number;
  resyncPeriodMs: number;
  shutdownTimeoutMs: number;
  maxInfrastructureRetries: number;
  instance: string;
  /** S3 API endpoint URL; unset = the SDK's AWS endpoint for the region. */
  objectStoreEndpoint: string | undefined;
  /** The bucket archived logs go to; unset = no object store (logs live as long as pods). */
  objectStoreBucket: string | undefined;
  objectStoreRegion: string;
  objectStorePathStyle: boolean;
  logRetentionMs: number;
  archiveConcurrency: number;
  archiveDeadlineMs: number;
  /** Keep Furrow's runner NetworkPolicy in every namespace a pool admits runs from (ADR 15). */
  runnerNetworkPolicy: boolean;
  runnerEgressDeniedCidrs: string[];
  runnerDnsNamespace: string;
  /** key=value labels of the cluster DNS pods. */
  runnerDnsPodLabels: string[];
}

interface Definition extends ValueSpec {
  key: keyof Options;
  flag: string;
  help: string;
  /** Default as it would be written on the command line; undefined = unset. */
  default?: string;
}

const definitions: Definition[] = [
  {
    key: 'kubeconfig',
    flag: 'kubeconfig',
    kind: 'string',
    help: 'kubeconfig file; default $KUBECONFIG, ~/.kube/config, then in-cluster',
  },
  {
    key: 'namespaces',
    flag: 'namespaces',
    kind: 'list',
    default: '',
    help: 'comma-separated namespaces whose PipelineRuns to reconcile; empty = all',
  },
  {
    key: 'poolSelector',
    flag: 'pool-selector',
    kind: 'string',
    default: '',
    help: 'label selector of the NodePools this install manages (e.g. furrow.dev/install=ci); empty = all. Nodes of pools it can’t see are left alone',
  },
  {
    key: 'workers',
    flag: 'workers',
    kind: 'integer',
    default: '8',
    min: 1,
    help: 'concurrent reconciles per controller',
  },
  {
    key: 'metricsPort',
    flag: 'metrics-port',
    kind: 'port',
    default: '8080',
    help: 'port of /metrics (0 disables)',
  },
  {
    key: 'healthPort',
    flag: 'health-port',
    kind: 'port',
    default: '8081',
    help: 'port of /healthz, /readyz and /loglevel (0 disables)',
  },
  {
    key: 'bindAddress',
    flag: 'bind-address',
    kind: 'string',
    default: '0.0.0.0',
    help: 'address the metrics and health servers listen on',
  },
  {
    key: 'logLevel',
    flag: 'log-level',
    kind: 'loglevel',
    default: 'info',
    help: 'error, warn, info or debug (changeable at run time: PUT /loglevel)',
  },
  {
    key: 'logFormat',
    flag: 'log-format',
    kind: 'logformat',
    help: 'json or text; default text on a terminal, json otherwise',
  },
  {
    key: 'leaderElect',
    flag: 'leader-elect',
    kind: 'boolean',
    default: 'false',
    help: 'elect a leader through a Lease so only one replica reconciles',
  },
  {
    key: 'leaseName',
    flag: 'lease-name',
    kind: 'string',
    default: 'furrow-operator',
    help: 'name of the leader election Lease',
  },
  {
    key: 'leaseNamespace',
    flag: 'lease-namespace',
    kind: 'string',
    help: 'namespace of the leader election Lease; default $POD_NAMESPACE (the pod’s own), else default',
  },
  {
    key: 'leaseDurationMs',
    flag: 'lease-duration',
    kind: 'duration',
    default: '10s',
    help: 'how long a Lease holds without renewal; a standby takes over after it',
  },
  {
    key: 'renewDeadlineMs',
    flag: 'renew-deadline',
    kind: 'duration',
    default: '7s',
    help: 'a leader that cannot renew within this stops reconciling',
  },
  {
    key: 'retryPeriodMs',
    flag: 'retry-period',
    kind: 'duration',
    default: '2s',
    help: 'how often to try to acquire or renew the Lease',
  },
  {
    key: 'defaultTtlSeconds',
    flag: 'default-ttl',
    kind: 'duration',
    seconds: true,
    help: 'delete finished runs after this long, unless the run or its pool says otherwise; unset = keep',
  },
  {
    key: 'defaultPendingTimeoutMs',
    flag: 'default-pending-timeout',
    kind: 'duration',
    default: '10m',
    help: 'fail an attempt whose pod cannot be scheduled or pull its image for this long, unless the pool says otherwise',
  },
  {
    key: 'gitImage',
    flag: 'git-image',
    kind: 'string',
    default: 'docker.io/alpine/git:2.49.1',
    help: 'image of the container that checks out source.git',
  },
  {
    key: 'kubeApiQps',
    flag: 'kube-api-qps',
    kind: 'integer',
    default: '200',
    min: 1,
    help: 'sustained API requests a second (client-side limit)',
  },
  {
    key: 'kubeApiBurst',
    flag: 'kube-api-burst',
    kind: 'integer',
    default: '400',
    min: 1,
    help: 'API request burst above --kube-api-qps',
  },
  {
    key: 'requestTimeoutMs',
    flag: 'request-timeout',
    kind: 'duration',
    default: '30s',
    help: 'abort an API request (not a watch) that takes longer',
  },
  {
    key: 'resyncPeriodMs',
    flag: 'resync-period',
    kind: 'duration',
    default: '10m',
    help: 'requeue every live run this often, even without events',
  },
  {
    key: 'shutdownTimeoutMs',
    flag: 'shutdown-timeout',
    kind: 'duration',
    default: '8s',
    help: 'on SIGTERM, wait this long for in-flight reconciles',
  },
  {
    key: 'maxInfrastructureRetries',
    flag: 'max-infrastructure-retries',
    kind: 'integer',
    default: '5',
    min: 0,
    help: 'new attempts after infrastructure failures (pod deleted, evicted, node gone), not counted against retries.limit',
  },
  {
    key: 'instance',
    flag: 'instance',
    kind: 'string',
    help: 'this process’s identity in the Lease and Events; default $POD_NAME or the host name',
  },
  {
    key: 'objectStoreEndpoint',
    flag: 'object-store-endpoint',
    kind: 'url',
    help: 'URL of the S3 API that keeps archived logs (e.g. http://minio.storage:9000); unset = AWS S3 in --object-store-region',
  },
  {
    key: 'objectStoreBucket',
    flag: 'object-store-bucket',
    kind: 'bucket',
    help: 'bucket of the object store; unset = no store: logs live as long as their pods. Credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or the SDK’s default chain (IRSA)',
  },
  {
    key: 'objectStoreRegion',
    flag: 'object-store-region',
    kind: 'string',
    default: 'us-east-1',
    help: 'region the object store signs requests for',
  },
  {
    key: 'objectStorePathStyle',
    flag: 'object-store-path-style',
    kind: 'boolean',
    default: 'true',
    help: 'address the bucket as <endpoint>/<bucket> (MinIO, versitygw, Ceph) rather than <bucket>.<endpoint>',
  },
  {
    key: 'logRetentionMs',
    flag: 'log-retention',
    kind: 'duration',
    default: '720h',
    // Not a timer: compared with each archive's age.
    maxMs: 100 * 365 * 24 * 3_600_000,
    help: 'delete archived logs this long after their run finished',
  },
  {
    key: 'archiveConcurrency',
    flag: 'archive-concurrency',
    kind: 'integer',
    default: '4',
    min: 1,
    help: 'attempts whose logs are archived at the same time',
  },
  {
    key: 'archiveDeadlineMs',
    flag: 'archive-deadline',
    kind: 'duration',
    default: '5m',
    help: 'how long a pod Furrow deletes (cancel, timeout, retry) waits for its logs to be archived',
  },
  ...runnerNetworkPolicyDefinitions,
];

export interface Parsed {
  options: Options;
  help: boolean;
}

/** Parses argv (without node and script) with FURROW_* environment variables as fallbacks. */
export function parseOptions(
  argv: string[],
  env: Record<string, string | undefined>,
  defaults: { isTTY: boolean; hostname: string },
): Parsed {
  const given = new Map<string, string>();
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--'))
      throw new OptionsError(`unexpected argument "${arg}" (options start with --; see --help)`);
    const eq = arg.indexOf('=');
    let name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    let value: string | undefined = eq > 0 ? arg.slice(eq + 1) : undefined;
    let def = definitions.find((d) => d.flag === name);
    if (!def && name.startsWith('no-')) {
      def = definitions.find((d) => d.flag === name.slice(3) && d.kind === 'boolean');
      if (def) {
        name = def.flag;
        value = 'false';
      }
    }
    if (!def) throw new OptionsError(`unknown option --${name} (see --help)`);
    if (value === undefined) {
      if (def.kind === 'boolean') value = 'true';
      else {
        const next = argv[i + 1];
        if (next === undefined || next.startsWith('--')) throw new OptionsError(`--${name} needs a value`);
        value = next;
        i++;
      }
    }
    given.set(def.flag, value);
  }

  const options: Record<string, unknown> = {};
  for (const def of definitions) {
    const envName = envVar(def.flag);
    const raw = given.get(def.flag) ?? env[envName] ?? def.default;
    const source = given.has(def.flag)
      ? `--${def.flag}`
      : env[envName] !== undefined
        ? envName
        : `--${def.flag} default`;
    options[def.key] = raw === undefined ? undefined : convertValue(def, raw, source);
  }
  options.logFormat ??= defaults.isTTY ? 'text' : 'json';
  options.instance ??= env.POD_NAME ?? defaults.hostname;
  options.leaseNamespace ??= env.POD_NAMESPACE ?? 'default';
  const result = options as unknown as Options;
  if (result.renewDeadlineMs >= result.leaseDurationMs) {
    throw new OptionsError('--renew-deadline must be shorter than --lease-duration');
  }
  if (result.retryPeriodMs >= result.renewDeadlineMs) {
    throw new OptionsError('--retry-period must be shorter than --renew-deadline');
  }
  if (result.kubeApiBurst < result.kubeApiQps)
    throw new OptionsError('--kube-api-burst must be at least --kube-api-qps');
  if (result.objectStoreEndpoint !== undefined && result.objectStoreBucket === undefined)
    throw new OptionsError('--object-store-endpoint needs --object-store-bucket');
  return { options: result, help };
}

function envVar(flag: string): string {
  return `FURROW_${flag.toUpperCase().replaceAll('-', '_')}`;
}

/** Every flag the operator accepts (for docs and the chart's checks). */
export function optionFlags(): string[] {
  return definitions.map((d) => `--${d.flag}`);
}

export function helpText(): string {
  const lines = [
    'Usage: furrow-operator [options]',
    '',
    'Runs Furrow: reconciles PipelineRuns into runner pods on NodePools of tainted nodes.',
    'Every option can also be set through the environment variable shown.',
    '',
  ];
  for (const def of definitions) {
    const value = def.kind === 'boolean' ? '' : ` <${def.kind === 'list' ? 'a,b' : def.kind}>`;
    lines.push(`  --${def.flag}${value}`);
    const dflt = def.default === undefined || def.default === '' ? '' : ` (default ${def.default})`;
    lines.push(`      ${def.help}${dflt}. Env: ${envVar(def.flag)}`);
  }
  lines.push('  -h, --help', '      show this help');
  return lines.join('\n');
}

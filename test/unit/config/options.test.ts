import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { OptionsError, helpText, optionFlags, parseOptions } from '../../../src/config/options.ts';
import { repoRoot } from '../../support/paths.ts';

const defaults = { isTTY: false, hostname: 'host-1' };
const parse = (argv: string[], env: Record<string, string> = {}) => parseOptions(argv, env, defaults).options;

test('defaults need no flags', () => {
  const o = parse([]);
  assert.equal(o.workers, 8);
  assert.deepEqual(o.namespaces, []);
  assert.equal(o.leaderElect, false);
  assert.equal(o.leaseDurationMs, 10_000);
  assert.equal(o.leaseNamespace, 'default');
  assert.equal(o.logFormat, 'json');
  assert.equal(o.instance, 'host-1');
  assert.equal(o.defaultTtlSeconds, undefined);
  assert.equal(o.kubeconfig, undefined);
});

test('flags, --flag=value, --no-flag and environment variables', () => {
  const o = parse(
    ['--workers', '3', '--namespaces=a, b', '--leader-elect', '--default-ttl', '1h', '--log-level=debug'],
    { FURROW_METRICS_PORT: '9090', FURROW_WORKERS: '99', POD_NAME: 'furrow-abc' },
  );
  assert.equal(o.workers, 3, 'a flag beats the environment');
  assert.deepEqual(o.namespaces, ['a', 'b']);
  assert.equal(o.leaderElect, true);
  assert.equal(o.defaultTtlSeconds, 3600);
  assert.equal(
    parse(['--default-ttl', '720h']).defaultTtlSeconds,
    2_592_000,
    'a 30-day TTL is fine: the queue waits in steps',
  );
  assert.equal(o.logLevel, 'debug');
  assert.equal(o.metricsPort, 9090);
  assert.equal(o.instance, 'furrow-abc');
  assert.equal(parse([], { POD_NAMESPACE: 'furrow-system' }).leaseNamespace, 'furrow-system');
  assert.equal(parse(['--leader-elect', '--no-leader-elect']).leaderElect, false);
});

test('the object store: none unless a bucket is given; region, path style, retention and archiving defaults', () => {
  const none = parse([]);
  assert.equal(none.objectStoreBucket, undefined);
  assert.equal(none.objectStoreEndpoint, undefined);
  assert.equal(none.objectStoreRegion, 'us-east-1');
  assert.equal(none.objectStorePathStyle, true);
  assert.equal(none.logRetentionMs, 720 * 3_600_000, '30 days');
  assert.equal(none.archiveConcurrency, 4);
  assert.equal(none.archiveDeadlineMs, 300_000);
  const blank = parse([], { FURROW_OBJECT_STORE_BUCKET: '', FURROW_OBJECT_STORE_ENDPOINT: '' });
  assert.equal(blank.objectStoreBucket, undefined, 'a blank value (a chart default) is unset');
  const o = parse(
    [
      '--object-store-endpoint',
      'http://127.0.0.1:19100',
      '--no-object-store-path-style',
      '--log-retention=2160h',
    ],
    {
      FURROW_OBJECT_STORE_BUCKET: 'furrow-logs',
      FURROW_OBJECT_STORE_REGION: 'eu-west-1',
      FURROW_ARCHIVE_CONCURRENCY: '2',
    },
  );
  assert.equal(o.objectStoreEndpoint, 'http://127.0.0.1:19100');
  assert.equal(o.objectStoreBucket, 'furrow-logs');
  assert.equal(o.objectStoreRegion, 'eu-west-1');
  assert.equal(o.objectStorePathStyle, false);
  assert.equal(o.logRetentionMs, 90 * 86_400_000, 'retention is no timer: 90 days is fine');
  assert.equal(o.archiveConcurrency, 2);
});

test('a wrong option is a clear error naming it', () => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [['--workers', 'many'], {}, /--workers: must be a whole number \(got "many"\)/],
    [['--workers', '0'], {}, /--workers: must be at least 1/],
    [['--metrics-port', '70000'], {}, /--metrics-port: must be a port number/],
    [['--lease-duration', 'soon'], {}, /--lease-duration: must be a duration/],
    [['--log-level', 'loud'], {}, /--log-level: must be error, warn, info or debug/],
    [['--bogus'], {}, /unknown option --bogus/],
    [['--workers'], {}, /--workers needs a value/],
    [['stray'], {}, /unexpected argument "stray"/],
    [[], { FURROW_LEADER_ELECT: 'maybe' }, /FURROW_LEADER_ELECT: must be true or false/],
    [['--renew-deadline', '20s'], {}, /--renew-deadline must be shorter than --lease-duration/],
    [['--retry-period', '8s'], {}, /--retry-period must be shorter than --renew-deadline/],
    [['--resync-period', '720h'], {}, /--resync-period: must be at most 24 days/],
    [['--request-timeout', '0s'], {}, /--request-timeout: must be longer than 0/],
    [
      ['--object-store-endpoint', 'minio:9000'],
      {},
      /--object-store-endpoint: must be an http:\/\/ or https:\/\/ URL/,
    ],
    [['--object-store-bucket', 'Logs_Bucket'], {}, /--object-store-bucket: must be a bucket name/],
    [[], { FURROW_OBJECT_STORE_BUCKET: 'ab' }, /FURROW_OBJECT_STORE_BUCKET: must be a bucket name/],
    [
      ['--object-store-endpoint', 'http://s3:9000'],
      {},
      /--object-store-endpoint needs --object-store-bucket/,
    ],
    [['--object-store-path-style=sometimes'], {}, /--object-store-path-style: must be true or false/],
    [['--log-retention', '1000000h'], {}, /--log-retention: must be at most 36500 days/],
    [['--archive-concurrency', '0'], {}, /--archive-concurrency: must be at least 1/],
    [['--archive-deadline', '0s'], {}, /--archive-deadline: must be longer than 0/],
  ];
  for (const [argv, env, message] of cases) {
    assert.throws(
      () => parse(argv, env),
      (err: unknown) => err instanceof OptionsError && message.test(err.message),
      argv.join(' '),
    );
  }
});

test('--help is recognised and documents every option with its environment variable', () => {
  assert.equal(parseOptions(['--help'], {}, defaults).help, true);
  const text = helpText();
  for (const flag of [
    '--kubeconfig',
    '--namespaces',
    '--workers',
    '--metrics-port',
    '--health-port',
    '--log-level',
    '--log-format',
    '--leader-elect',
    '--lease-name',
    '--lease-namespace',
    '--default-ttl',
    '--object-store-endpoint',
    '--object-store-bucket',
    '--log-retention',
  ]) {
    assert.match(text, new RegExp(`  ${flag}\\b`), flag);
  }
  assert.match(text, /FURROW_DEFAULT_TTL/);
});

test('docs/operations.md documents every option', () => {
  const doc = readFileSync(path.join(repoRoot, 'docs', 'operations.md'), 'utf8');
  for (const flag of optionFlags())
    assert.ok(doc.includes(`\`${flag}\``), `${flag} is missing from docs/operations.md`);
});

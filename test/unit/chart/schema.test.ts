// values.schema.json and the templates' own checks refuse wrong values at `helm install`, with a
// message that names the value.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { goDuration } from '../../../src/resources/schema/patterns.ts';
import { chartDir, helm, releaseName } from '../../support/helm.ts';

function refused(sets: string[]): string {
  const args = ['template', releaseName, chartDir, ...sets.flatMap((s) => ['--set', s])];
  const result = helm(args);
  assert.notEqual(result.status, 0, `helm accepted ${sets.join(' ')}`);
  return result.stderr;
}

const cases: { set: string[]; names: RegExp; says: RegExp }[] = [
  { set: ['replicas=-1'], names: /'\/replicas'/, says: /minimum: got -1, want 0/ },
  { set: ['logLevel=loud'], names: /'\/logLevel'/, says: /'error', 'warn', 'info', 'debug'/ },
  { set: ['workers=many'], names: /'\/workers'/, says: /got string, want integer/ },
  { set: ['workers=0'], names: /'\/workers'/, says: /minimum/ },
  { set: ['verbose=true'], names: /'verbose'/, says: /additional properties 'verbose' not allowed/ },
  { set: ['logFormat=xml'], names: /'\/logFormat'/, says: /'json', 'text'/ },
  { set: ['defaultTTL=7d'], names: /'\/defaultTTL'/, says: /does not match pattern/ },
  { set: ['image.pullPolicy=Sometimes'], names: /'\/image\/pullPolicy'/, says: /must be one of/ },
  {
    set: ['leaderElection.enabled=maybe'],
    names: /'\/leaderElection\/enabled'/,
    says: /want null or boolean/,
  },
  {
    set: ['runnerNetworkPolicy.podCIDR=10.0.0.0/33'],
    names: /'\/runnerNetworkPolicy\/podCIDR'/,
    says: /does not match pattern/,
  },
  {
    set: ['runnerNetworkPolicy.serviceCIDR=fd00::/108'],
    names: /'\/runnerNetworkPolicy\/serviceCIDR'/,
    says: /does not match pattern/,
  },
  {
    set: ['runnerNamespace.podSecurity.enforce=strict'],
    names: /'\/runnerNamespace\/podSecurity\/enforce'/,
    says: /'privileged', 'baseline', 'restricted'/,
  },
  {
    set: ['nodePools[0].name=Bad_Name', 'nodePools[0].spec.maxConcurrentRuns=1'],
    names: /'\/nodePools\/0\/name'/,
    says: /'Bad_Name' does not match pattern/,
  },
  { set: ['nodePools[0].name=peasant'], names: /'\/nodePools\/0'/, says: /missing property 'spec'/ },
  {
    set: ['extraArgs[0]=resync-period=5m'],
    names: /'\/extraArgs\/0'/,
    says: /does not match pattern '\^--'/,
  },
  {
    set: ['objectStore.bucket=Logs_Bucket'],
    names: /'\/objectStore\/bucket'/,
    says: /does not match pattern/,
  },
  {
    set: ['objectStore.endpoint=minio:9000', 'objectStore.bucket=logs'],
    names: /'\/objectStore\/endpoint'/,
    says: /does not match pattern/,
  },
  { set: ['logs.retention=30d'], names: /'\/logs\/retention'/, says: /does not match pattern/ },
  // The templates' own checks, for what a schema can't compare.
  {
    set: ['objectStore.endpoint=http://minio:9000'],
    names: /objectStore\.endpoint=http:\/\/minio:9000/,
    says: /needs objectStore\.bucket/,
  },
  {
    set: ['replicas=2', 'leaderElection.enabled=false'],
    names: /leaderElection\.enabled=false with replicas=2/,
    says: /every replica would reconcile/,
  },
  {
    set: ['replicas=2', 'podDisruptionBudget.minAvailable=2'],
    names: /podDisruptionBudget\.minAvailable=2/,
    says: /would block every node drain/,
  },
  { set: ['kubeApi.qps=500'], names: /kubeApi\.burst=400/, says: /at least kubeApi\.qps=500/ },
  {
    set: ['serviceAccount.create=false'],
    names: /serviceAccount\.name/,
    says: /must name an existing ServiceAccount/,
  },
];

for (const c of cases) {
  test(`refuses ${c.set.join(' ')}`, () => {
    const message = refused(c.set);
    assert.match(message, c.names);
    assert.match(message, c.says);
  });
}

test('the good values of those cases pass', () => {
  for (const set of [
    'replicas=0',
    'replicas=2',
    'logLevel=debug',
    'workers=32',
    'defaultTTL=168h',
    'leaderElection.enabled=true',
    'runnerNamespace.create=true',
    'runnerNamespace.podSecurity.enforce=restricted',
  ]) {
    const result = helm(['template', releaseName, chartDir, '--set', set]);
    assert.equal(result.status, 0, `${set}: ${result.stderr}`);
  }
});

test('durations follow the operator’s own pattern (Go durations), or are empty', () => {
  interface Node {
    pattern?: string;
    properties?: Record<string, Node>;
  }
  const schema = JSON.parse(readFileSync(path.join(chartDir, 'values.schema.json'), 'utf8')) as Node;
  const at = (dotted: string) =>
    dotted.split('.').reduce<Node | undefined>((node, key) => node?.properties?.[key], schema);
  const durations = [
    'leaderElection.leaseDuration',
    'leaderElection.renewDeadline',
    'leaderElection.retryPeriod',
    'defaultTTL',
    'defaultPendingTimeout',
    'shutdownTimeout',
  ];
  for (const key of durations) assert.equal(at(key)?.pattern, `^(|0|${goDuration.slice(1, -1)})$`, key);
});

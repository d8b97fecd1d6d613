// The chart's rendered manifests: golden files for the default values and a few variants
// (test/fixtures/chart/<variant>.yaml), and the properties that matter asserted directly, so a
// golden file regenerated without care can't hide a lost securityContext or a widened role.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseOptions } from '../../../src/config/options.ts';
import { assertGolden } from '../../support/golden.ts';
import { helm, helmTemplate, only, releaseName, releaseNamespace, chartDir } from '../../support/helm.ts';
import { deployment, env, objects, operatorContainer, valuesArgs, variants } from './rendered.ts';

describe('golden files', () => {
  for (const variant of variants) {
    test(`${variant}: manifests`, () => {
      assertGolden(`chart/${variant}.yaml`, helmTemplate(valuesArgs(variant)));
    });
    test(`${variant}: NOTES.txt`, () => {
      // helm template leaves NOTES.txt out; a client-side dry-run install renders it.
      const result = helm([
        'install',
        releaseName,
        chartDir,
        '--namespace',
        releaseNamespace,
        '--dry-run=client',
        '--output',
        'json',
        ...valuesArgs(variant),
      ]);
      assert.equal(result.status, 0, result.stderr);
      const notes = (JSON.parse(result.stdout) as { info: { notes: string } }).info.notes;
      assertGolden(`chart/${variant}.notes.txt`, `${notes.trimEnd()}\n`);
    });
  }
});

describe('every variant', () => {
  for (const variant of variants) {
    test(`${variant}: every object is in the release namespace or cluster-scoped, and labelled`, () => {
      const clusterScoped = new Set([
        'APIService',
        'ClusterRole',
        'ClusterRoleBinding',
        'Namespace',
        'NodePool',
        'ValidatingAdmissionPolicy',
        'ValidatingAdmissionPolicyBinding',
      ]);
      for (const o of objects(variant)) {
        const where = `${o.kind} ${o.metadata.name}`;
        if (clusterScoped.has(o.kind)) assert.equal(o.metadata.namespace, undefined, where);
        else if (o.kind === 'RoleBinding' && o.metadata.name === 'furrow-api-auth-reader')
          assert.equal(o.metadata.namespace, 'kube-system', where); // the front proxy's settings live there
        else if (o.metadata.name === 'furrow-kubernetes-endpoints')
          assert.equal(o.metadata.namespace, 'default', where); // the kubernetes Service's EndpointSlices
        else assert.equal(o.metadata.namespace, releaseNamespace, where);
        assert.equal(o.metadata.labels?.['app.kubernetes.io/instance'], releaseName, where);
        assert.equal(o.metadata.labels?.['app.kubernetes.io/managed-by'], 'Helm', where);
      }
    });

    test(`${variant}: the operator accepts the configuration the chart gives it`, () => {
      const container = operatorContainer(variant);
      const environment = { ...env(variant), POD_NAME: 'furrow-abc' };
      const { options } = parseOptions(container.args ?? [], environment, { isTTY: false, hostname: 'host' });
      assert.equal(options.instance, 'furrow-abc', 'POD_NAME names the instance');
      assert.equal(
        options.healthPort,
        container.ports.find((p) => p.name === 'health')?.containerPort,
        'probes hit the health port',
      );
      assert.equal(options.metricsPort, container.ports.find((p) => p.name === 'metrics')?.containerPort);
      if (options.leaderElect) {
        assert.equal(options.leaseNamespace, releaseNamespace, 'the Lease lives in the release namespace');
        const role = only(objects(variant), 'Role', 'furrow-leader-election');
        assert.equal(role.metadata.namespace, releaseNamespace);
        const rules = role.rules as { resourceNames?: string[]; verbs: string[] }[];
        assert.deepEqual(
          rules.find((r) => r.resourceNames)?.resourceNames,
          [options.leaseName],
          'the Role names the Lease the operator uses',
        );
      } else {
        assert.equal(
          objects(variant).filter((o) => o.kind === 'Role' && o.metadata.namespace === releaseNamespace)
            .length,
          0,
          'no Lease access needed',
        );
      }
    });

    test(`${variant}: the operator pod is locked down`, () => {
      const pod = deployment(variant).spec.template.spec;
      assert.deepEqual(pod.securityContext, {
        runAsNonRoot: true,
        runAsUser: 65532,
        runAsGroup: 65532,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      const container = operatorContainer(variant);
      assert.deepEqual(container.securityContext, {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        privileged: false,
        capabilities: { drop: ['ALL'] },
      });
      assert.deepEqual(container.livenessProbe.httpGet, { path: '/healthz', port: 'health' });
      assert.deepEqual(container.readinessProbe.httpGet, { path: '/readyz', port: 'health' });
      assert.ok(container.resources.requests?.cpu && container.resources.requests.memory, 'requests set');
      assert.ok(container.resources.limits?.memory, 'memory limit set');
    });

    test(`${variant}: the ClusterRole grants exactly what the operator uses`, () => {
      const role = only(objects(variant), 'ClusterRole', 'furrow');
      const grants = new Map<string, string[]>();
      for (const rule of role.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[]) {
        for (const group of rule.apiGroups)
          for (const resource of rule.resources) {
            const key = `${group || 'core'}/${resource}`;
            grants.set(key, [...(grants.get(key) ?? []), ...rule.verbs].sort());
          }
      }
      const expected: Record<string, string[]> = {
        'furrow.dev/pipelineruns': ['delete', 'list', 'watch'],
        'furrow.dev/pipelineruns/status': ['patch'],
        'furrow.dev/nodepools': ['list', 'patch', 'watch'],
        'furrow.dev/nodepools/status': ['patch'],
        'core/pods': ['create', 'delete', 'get', 'list', 'patch', 'watch'],
        'core/pods/log': ['get'],
        'core/nodes': ['list', 'patch', 'watch'],
        'core/namespaces': ['list', 'watch'],
        'events.k8s.io/events': ['create', 'patch'],
        // The runner NetworkPolicies (ADR 15), on by default in every variant.
        'networking.k8s.io/networkpolicies': ['create', 'delete', 'get', 'list', 'update', 'watch'],
      };
      if (variant === 'configured') expected['furrow.dev/pipelineruns/finalizers'] = ['update'];
      assert.deepEqual(Object.fromEntries(grants), expected);
      const binding = only(objects(variant), 'ClusterRoleBinding', 'furrow');
      assert.deepEqual(binding.subjects, [
        {
          kind: 'ServiceAccount',
          name: deployment(variant).spec.template.spec.serviceAccountName,
          namespace: releaseNamespace,
        },
      ]);
    });
  }
});

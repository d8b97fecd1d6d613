// furrow-api in the chart: its Deployment runs the api entry point with flags it accepts, the
// APIService trusts the certificate the Deployment serves (generated, or from values), its RBAC
// is what an aggregated API server needs and no more, and the aggregated ClusterRoles put
// Furrow into view and edit.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import { parseApiOptions } from '../../../src/api/options.ts';
import { helmTemplate, only, parseManifest, releaseNamespace, type KubeObject } from '../../support/helm.ts';
import { objects } from './rendered.ts';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
type Role = KubeObject & { rules: Rule[] };

function grants(role: Role): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const rule of role.rules)
    for (const group of rule.apiGroups)
      for (const resource of rule.resources)
        out[`${group || 'core'}/${resource}`] = [
          ...(out[`${group || 'core'}/${resource}`] ?? []),
          ...rule.verbs,
        ].sort();
  return out;
}

const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

test('generated TLS: the APIService trusts the CA that signed the Secret’s certificate for the Service’s name', () => {
  const rendered = parseManifest(helmTemplate([]));
  const secret = only(rendered, 'Secret', 'furrow-api-tls') as KubeObject & { data: Record<string, string> };
  const apiService = only(rendered, 'APIService', 'v1alpha1.api.furrow.dev') as KubeObject & {
    spec: { caBundle: string; service: { name: string; namespace: string; port: number }; group: string };
  };
  assert.equal(apiService.spec.caBundle, secret.data['ca.crt']);
  const ca = new X509Certificate(b64(apiService.spec.caBundle));
  const cert = new X509Certificate(b64(secret.data['tls.crt'] ?? ''));
  assert.ok(cert.verify(ca.publicKey), 'the certificate is signed by the caBundle');
  const { name, namespace, port } = apiService.spec.service;
  assert.equal(cert.checkHost(`${name}.${namespace}.svc`), `${name}.${namespace}.svc`);
  assert.equal(only(rendered, 'Service', name).metadata.namespace, namespace);
  assert.equal(port, 443);
  assert.equal(apiService.spec.group, 'api.furrow.dev');
});

test('TLS from values reaches the Secret and the APIService unchanged', () => {
  const rendered = objects('default'); // test/fixtures/chart-api-tls.values.yaml
  const secret = only(rendered, 'Secret', 'furrow-api-tls') as KubeObject & { data: Record<string, string> };
  assert.match(b64(secret.data['tls.crt'] ?? ''), /golden-test-certificate/);
  const apiService = only(rendered, 'APIService') as KubeObject & { spec: { caBundle: string } };
  assert.match(b64(apiService.spec.caBundle), /golden-test-ca/);
});

test('the furrow-api Deployment runs the api entry point with flags it accepts, serving the Secret', () => {
  const d = only(objects('default'), 'Deployment', 'furrow-api') as KubeObject & {
    spec: {
      selector: { matchLabels: Record<string, string> };
      template: {
        spec: {
          serviceAccountName: string;
          containers: {
            command: string[];
            args: string[];
            ports: { name: string; containerPort: number }[];
            readinessProbe: { httpGet: { scheme: string; port: string } };
            volumeMounts: { name: string; mountPath: string }[];
          }[];
          volumes: { name: string; secret?: { secretName: string } }[];
        };
      };
    };
  };
  const pod = d.spec.template.spec;
  const [container] = pod.containers;
  assert.ok(container);
  assert.deepEqual(container.command.slice(-1), ['dist/api/main.js']);
  const options = parseApiOptions(container.args, {});
  assert.equal(options.securePort, container.ports.find((p) => p.name === 'https')?.containerPort);
  const mount = container.volumeMounts.find((m) => options.tlsCertFile.startsWith(`${m.mountPath}/`));
  assert.ok(mount, 'the certificate file is on a mounted volume');
  assert.equal(pod.volumes.find((v) => v.name === mount.name)?.secret?.secretName, 'furrow-api-tls');
  assert.equal(container.readinessProbe.httpGet.scheme, 'HTTPS');
  assert.equal(pod.serviceAccountName, 'furrow-api');
  // Its pods are not the operator's: the operator Deployment's selector doesn't match them.
  const operator = only(objects('default'), 'Deployment', 'furrow') as typeof d;
  const opSelector = operator.spec.selector.matchLabels;
  assert.ok(Object.entries(opSelector).some(([k, v]) => d.spec.selector.matchLabels[k] !== v));
});

test('furrow-api’s RBAC: access reviews, the front proxy settings, runs and pod logs read-only', () => {
  const rendered = objects('default');
  assert.deepEqual(grants(only(rendered, 'ClusterRole', 'furrow-api') as Role), {
    'authorization.k8s.io/subjectaccessreviews': ['create'],
    'authentication.k8s.io/tokenreviews': ['create'],
    'furrow.dev/pipelineruns': ['get', 'list', 'watch'],
    'core/pods': ['get'],
    'core/pods/log': ['get'],
  });
  const binding = only(rendered, 'RoleBinding', 'furrow-api-auth-reader') as KubeObject & {
    roleRef: { kind: string; name: string };
    subjects: { name: string; namespace: string }[];
  };
  assert.equal(binding.metadata.namespace, 'kube-system');
  assert.deepEqual(binding.roleRef, {
    apiGroup: 'rbac.authorization.k8s.io',
    kind: 'Role',
    name: 'extension-apiserver-authentication-reader',
  });
  assert.deepEqual(binding.subjects, [
    { kind: 'ServiceAccount', name: 'furrow-api', namespace: releaseNamespace },
  ]);
});

test('view reads runs, pools and logs; edit also creates, changes, cancels and deletes runs', () => {
  const rendered = objects('default');
  const view = only(rendered, 'ClusterRole', 'furrow-aggregate-to-view') as Role;
  const edit = only(rendered, 'ClusterRole', 'furrow-aggregate-to-edit') as Role;
  assert.equal(view.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-view'], 'true');
  assert.equal(
    edit.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-view'],
    undefined,
    'view never writes',
  );
  assert.equal(edit.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-edit'], 'true');
  assert.deepEqual(grants(view), {
    'furrow.dev/pipelineruns': ['get', 'list', 'watch'],
    'furrow.dev/pipelineruns/status': ['get', 'list', 'watch'],
    'furrow.dev/nodepools': ['get', 'list', 'watch'],
    'furrow.dev/nodepools/status': ['get', 'list', 'watch'],
    'api.furrow.dev/pipelineruns/log': ['get'],
    'api.furrow.dev/pipelineruns/archive': ['get'],
  });
  assert.deepEqual(grants(edit), {
    'furrow.dev/pipelineruns': ['create', 'delete', 'deletecollection', 'patch', 'update'],
  });
});

test('api.enabled=false and rbac.aggregateToDefaultRoles=false leave those objects out', () => {
  const rendered = parseManifest(
    helmTemplate(['--set', 'api.enabled=false', '--set', 'rbac.aggregateToDefaultRoles=false']),
  );
  const names = rendered.map((o) => `${o.kind}/${o.metadata.name}`);
  assert.deepEqual(
    names.filter((n) => n.includes('api') || n.includes('aggregate')),
    [],
  );
  assert.ok(names.includes('Deployment/furrow'), 'the operator stays');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRead, requestInfo } from '../../../src/kube/request-info.ts';

test('requestInfo names the verb and resource as the API server does', () => {
  const base = 'https://127.0.0.1:6443';
  const cases: [string, string, string, string][] = [
    ['GET', '/api/v1/pods?labelSelector=a', 'list', 'pods'],
    ['GET', '/api/v1/pods?watch=true&resourceVersion=5', 'watch', 'pods'],
    ['GET', '/api/v1/namespaces/ns/pods/p', 'get', 'pods'],
    ['POST', '/api/v1/namespaces/ns/pods', 'create', 'pods'],
    ['DELETE', '/api/v1/namespaces/ns/pods/p', 'delete', 'pods'],
    ['DELETE', '/api/v1/namespaces/ns/pods', 'deletecollection', 'pods'],
    [
      'PATCH',
      '/apis/furrow.dev/v1alpha1/namespaces/ns/pipelineruns/r/status',
      'patch',
      'pipelineruns/status',
    ],
    ['PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/furrow', 'update', 'leases'],
    ['GET', '/apis/furrow.dev/v1alpha1/nodepools', 'list', 'nodepools'],
    ['PATCH', '/api/v1/nodes/n1', 'patch', 'nodes'],
    ['GET', '/api/v1/namespaces', 'list', 'namespaces'],
    ['GET', '/api/v1/namespaces/default', 'get', 'namespaces'],
    ['GET', '/version', 'other', '/version'],
  ];
  for (const [method, path, verb, resource] of cases) {
    assert.deepEqual(requestInfo(method, base + path), { verb, resource }, `${method} ${path}`);
  }
});

test('isRead separates reads from writes', () => {
  assert.deepEqual((['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] as const).map(isRead), [
    true,
    true,
    true,
    false,
    false,
    false,
    false,
  ]);
});

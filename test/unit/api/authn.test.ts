// Front-proxy authentication: headers are believed only from the front proxy's verified
// certificate with an allowed name; settings come from extension-apiserver-authentication.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authenticate, frontProxyConfigFrom } from '../../../src/api/authn.ts';
import { accessReview } from '../../../src/api/authz.ts';
import { localFrontProxy } from '../../support/front-proxy.ts';

const config = localFrontProxy;
const proxy = { authorized: true, commonName: 'front-proxy-client' };

test('the ConfigMap’s settings, with the API server’s defaults for what it leaves out', () => {
  assert.equal(frontProxyConfigFrom(undefined), undefined);
  assert.equal(frontProxyConfigFrom({ 'client-ca-file': 'x' }), undefined, 'no front proxy configured');
  assert.deepEqual(
    frontProxyConfigFrom({
      'requestheader-client-ca-file': 'PEM',
      'requestheader-allowed-names': '["front-proxy-client"]',
      'requestheader-username-headers': '["X-Remote-User"]',
      'requestheader-group-headers': '["X-Remote-Group"]',
      'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
    }),
    config,
  );
  assert.deepEqual(
    frontProxyConfigFrom({
      'requestheader-client-ca-file': 'PEM',
      'requestheader-allowed-names': 'not json',
    }),
    {
      ...config,
      allowedNames: [],
    },
  );
});

test('user, groups and extra come from the verified front proxy', () => {
  const result = authenticate(
    proxy,
    {
      'x-remote-user': 'system:serviceaccount:team-a:reader',
      'x-remote-group': 'system:serviceaccounts, system:authenticated',
      'x-remote-extra-authentication.kubernetes.io%2fpod-name': 'p-1',
      'x-remote-extra-scopes': ['a', 'b'],
    },
    config,
  );
  assert.deepEqual(result, {
    user: {
      username: 'system:serviceaccount:team-a:reader',
      groups: ['system:serviceaccounts', 'system:authenticated'],
      extra: { 'authentication.kubernetes.io/pod-name': ['p-1'], scopes: ['a', 'b'] },
    },
  });
});

test('refused: no verified certificate, a name not allowed, no user header', () => {
  const headers = { 'x-remote-user': 'admin', 'x-remote-group': 'system:masters' };
  const refused = (r: ReturnType<typeof authenticate>) => ('refused' in r ? r.refused : 'accepted');
  assert.match(
    refused(authenticate({ authorized: false, commonName: undefined }, headers, config)),
    /no client certificate/,
  );
  assert.match(
    refused(authenticate({ authorized: true, commonName: 'kubelet' }, headers, config)),
    /CN "kubelet" is not an allowed/,
  );
  assert.match(refused(authenticate(proxy, { 'x-remote-group': 'g' }, config)), /sent no user/);
  // With no allowed names, any certificate the front proxy CA signed is the proxy.
  assert.equal(
    refused(
      authenticate({ authorized: true, commonName: 'other' }, headers, { ...config, allowedNames: [] }),
    ),
    'accepted',
  );
});

test('the access review asks whether the user may get the run, in its namespace, by name', () => {
  assert.deepEqual(accessReview({ username: 'u', groups: ['g'], extra: { k: ['v'] } }, 'team-a', 'build'), {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user: 'u',
      groups: ['g'],
      extra: { k: ['v'] },
      resourceAttributes: {
        group: 'furrow.dev',
        resource: 'pipelineruns',
        verb: 'get',
        namespace: 'team-a',
        name: 'build',
      },
    },
  });
});

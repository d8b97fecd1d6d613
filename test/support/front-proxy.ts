// The front-proxy settings the local cluster's kube-apiserver publishes (test/cluster/up.sh's
// --requestheader-* flags), as furrow-api reads them: for unit tests of its authentication.
import type { FrontProxyConfig } from '../../src/api/authn.ts';

export const localFrontProxy: FrontProxyConfig = {
  clientCA: 'PEM',
  allowedNames: ['front-proxy-client'],
  usernameHeaders: ['X-Remote-User'],
  groupHeaders: ['X-Remote-Group'],
  extraHeaderPrefixes: ['X-Remote-Extra-'],
};

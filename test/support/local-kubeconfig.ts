// A kubeconfig for a test's own HTTP server (or for none: no request is ever sent).
import { PooledKubeConfig } from '../../src/kube/client.ts';

export function kubeConfigFor(server: string): PooledKubeConfig {
  const kc = new PooledKubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

// Extra kwok nodes for tests that need nodes of their own (taints, labels, NotReady), so that
// no test changes the shared nodes that cluster-up made.
import type { TestContext } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { core, waitFor } from './kube.ts';

export interface KwokNodeOptions {
  labels?: Record<string, string>;
  taints?: k8s.V1Taint[];
  pods?: number;
  /** CPU cores (default 8). */
  cpu?: string;
  /** Further resources the node has (extended resources: nvidia.com/gpu). */
  resources?: Record<string, string>;
}

export async function createKwokNode(
  t: TestContext,
  name: string,
  options: KwokNodeOptions = {},
): Promise<void> {
  const capacity = {
    cpu: options.cpu ?? '8',
    memory: '32Gi',
    pods: String(options.pods ?? 110),
    ...options.resources,
  };
  await core().createNode({
    body: {
      metadata: {
        name,
        annotations: { 'kwok.x-k8s.io/node': 'fake' },
        labels: { 'kubernetes.io/hostname': name, type: 'kwok', ...options.labels },
      },
      spec: { taints: options.taints ?? [] },
      status: { capacity, allocatable: capacity },
    },
  });
  t.after(async () => {
    await core()
      .deleteNode({ name })
      .catch(() => undefined);
  });
  await waitFor(`node ${name} Ready`, async () => {
    const node = await core().readNode({ name });
    return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  });
}

/**
 * Marks the test skipped and returns false unless the cluster simulates its nodes with kwok
 * (so a test can add nodes at will). `t.skip` doesn't stop a test: callers return on false.
 */
export async function requireKwok(t: TestContext): Promise<boolean> {
  const nodes = await core().listNode();
  const kwok = nodes.items.some((n) => n.metadata?.annotations?.['kwok.x-k8s.io/node'] === 'fake');
  if (!kwok) t.skip('needs kwok nodes (the local cluster); this cluster has none');
  return kwok;
}

// Smoke tests of the local cluster itself: the scheduler honours taints and selectors, the
// kwok simulation reports the annotated exit code, the controller-manager's garbage collector
// follows ownerReferences, and the Job controller (the benchmark's baseline) completes Jobs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { batch, core, suffix, testNamespace, waitFor } from '../support/kube.ts';
import { createKwokNode, requireKwok } from '../support/nodes.ts';
import { testImage } from '../support/images.ts';

const taint = { key: 'e2e.furrow.dev/pool', value: 'smoke', effect: 'NoSchedule' };

// Pods carry both a real command and the kwok annotations that simulate it, so the suite
// means the same on a real cluster (test/kind) as on the local one.
function simPod(name: string, nodeLabel: string, exitCode: number, tolerate: boolean): k8s.V1Pod {
  const annotations = { 'sim.furrow.dev/duration': '500ms', 'sim.furrow.dev/exit-code': String(exitCode) };
  return {
    metadata: { name, annotations },
    spec: {
      restartPolicy: 'Never',
      nodeSelector: { 'e2e.furrow.dev/node': nodeLabel },
      tolerations: tolerate ? [{ ...taint, operator: 'Equal' }] : [],
      initContainers: [{ name: 'checkout', image: testImage, command: ['sh', '-c', 'true'] }],
      containers: [{ name: 'build', image: testImage, command: ['sh', '-c', `sleep 0.5; exit ${exitCode}`] }],
    },
  };
}

test('a pod that tolerates the taint lands on the tainted peasant node and ends with the annotated exit code', async (t) => {
  if (!(await requireKwok(t))) return;
  const ns = await testNamespace(t, 'smoke');
  const label = `tainted-${suffix()}`;
  const nodeName = `e2e-${label}`;
  await createKwokNode(t, nodeName, {
    labels: { 'furrow.dev/class': 'peasant', 'e2e.furrow.dev/node': label },
    taints: [taint],
  });
  await core().createNamespacedPod({
    namespace: ns,
    body: simPod('tolerates', label, 7, true),
  });

  const pod = await waitFor('pod to finish', async () => {
    const p = await core().readNamespacedPod({ name: 'tolerates', namespace: ns });
    return p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded' ? p : undefined;
  });
  assert.equal(pod.spec?.nodeName, nodeName);
  assert.equal(pod.status?.phase, 'Failed');
  assert.equal(pod.status.initContainerStatuses?.[0]?.state?.terminated?.exitCode, 0);
  assert.equal(pod.status.containerStatuses?.[0]?.state?.terminated?.exitCode, 7);
});

test('a pod without the toleration is never scheduled onto the tainted node', async (t) => {
  if (!(await requireKwok(t))) return;
  const ns = await testNamespace(t, 'smoke');
  const label = `tainted-${suffix()}`;
  await createKwokNode(t, `e2e-${label}`, { labels: { 'e2e.furrow.dev/node': label }, taints: [taint] });
  await core().createNamespacedPod({ namespace: ns, body: simPod('intruder', label, 0, false) });

  // The scheduler has looked at it and said no, naming the taint.
  const condition = await waitFor('scheduler to refuse the pod', async () => {
    const p = await core().readNamespacedPod({ name: 'intruder', namespace: ns });
    return p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  });
  assert.equal(condition.reason, 'Unschedulable');
  assert.match(condition.message ?? '', /untolerated taint/);
  // And it stays that way.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const pod = await core().readNamespacedPod({ name: 'intruder', namespace: ns });
  assert.equal(pod.spec?.nodeName, undefined);
});

test('deleting an owner deletes its dependents through the garbage collector', async (t) => {
  const ns = await testNamespace(t, 'smoke');
  const owner = await core().createNamespacedConfigMap({
    namespace: ns,
    body: { metadata: { name: 'owner' } },
  });
  const ownerReferences = [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: 'owner',
      uid: owner.metadata?.uid ?? '',
      controller: true,
      blockOwnerDeletion: true,
    },
  ];
  await core().createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: 'dependent', ownerReferences },
      spec: {
        containers: [{ name: 'main', image: testImage, command: ['sleep', '3600'] }],
        nodeSelector: { 'furrow.dev/class': 'peasant' },
      },
    },
  });
  await core().createNamespacedConfigMap({
    namespace: ns,
    body: { metadata: { name: 'dependent-cm', ownerReferences } },
  });

  await core().deleteNamespacedConfigMap({ name: 'owner', namespace: ns });
  await waitFor('dependents to be collected', async () => {
    const pods = await core().listNamespacedPod({ namespace: ns });
    const cms = await core().listNamespacedConfigMap({ namespace: ns });
    return pods.items.length === 0 && !cms.items.some((c) => c.metadata?.name === 'dependent-cm');
  });
});

test('a batch/v1 Job runs to Complete on a peasant node', async (t) => {
  const ns = await testNamespace(t, 'smoke');
  await batch().createNamespacedJob({
    namespace: ns,
    body: {
      metadata: { name: 'baseline' },
      spec: {
        backoffLimit: 0,
        template: {
          metadata: { annotations: { 'sim.furrow.dev/duration': '500ms' } },
          spec: {
            restartPolicy: 'Never',
            nodeSelector: { 'furrow.dev/class': 'peasant' },
            containers: [{ name: 'main', image: testImage, command: ['sh', '-c', 'sleep 0.5'] }],
          },
        },
      },
    },
  });
  const job = await waitFor('job to complete', async () => {
    const j = await batch().readNamespacedJob({ name: 'baseline', namespace: ns });
    return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
  });
  assert.equal(job.status?.succeeded, 1);
  const pods = await core().listNamespacedPod({ namespace: ns, labelSelector: 'job-name=baseline' });
  assert.equal(pods.items.length, 1);
  assert.match(pods.items[0]?.spec?.nodeName ?? '', /^peasant-/);
});

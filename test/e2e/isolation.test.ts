// Runner pods as the API server admits them: in a namespace that enforces Pod Security
// "restricted", a pool that forces runAsNonRoot and a sandbox RuntimeClass gets its pods in,
// with no token mounted; a pool that doesn't is refused by Pod Security and its run fails
// PodRejected; a run's AppArmor annotation doesn't reach its pod. (kwok ignores the
// RuntimeClass's handler; the API server checks that it exists.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { extraPool } from '../support/chaos.ts';
import { furrowEnv, sim } from '../support/env.ts';
import { testImage } from '../support/images.ts';
import { core, kubeConfig } from '../support/kube.ts';
import { unhandledErrors } from '../support/operator.ts';
import type { Pod } from '../../src/kube/json.ts';

const nodeApi = () => kubeConfig().makeApiClient(k8s.NodeV1Api);
const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

test('Pod Security restricted: a pool forcing runAsNonRoot and a gVisor RuntimeClass gets its pods in; a pool that doesn’t is refused', async (t) => {
  const env = await furrowEnv(t, { createPool: false, operator: false });
  const runtimeClass = `gvisor-${env.id}`;
  await nodeApi().createRuntimeClass({ body: { metadata: { name: runtimeClass }, handler: 'runsc' } });
  t.after(() =>
    nodeApi()
      .deleteRuntimeClass({ name: runtimeClass })
      .catch(() => undefined),
  );
  await env.createPool({ runner: { runAsNonRoot: true, runtimeClassName: runtimeClass } });
  const [plainPool] = await extraPool(t, env, 1);
  await core().patchNamespace(
    {
      name: env.namespace,
      body: {
        metadata: {
          labels: {
            'pod-security.kubernetes.io/enforce': 'restricted',
            'pod-security.kubernetes.io/enforce-version': 'latest',
          },
        },
      },
    },
    mergePatch,
  );
  const operator = await env.startOperator();
  const spec = {
    image: testImage,
    steps: [
      { name: 'build', script: 'make' },
      { name: 'test', script: 'make test' },
    ],
  };

  await env.createRun('sandboxed', spec, {
    annotations: { ...sim('300ms'), 'container.apparmor.security.beta.kubernetes.io/build': 'unconfined' },
  });
  await env.createRun('plain', { ...spec, pool: plainPool }, { annotations: sim('300ms') });

  const run = await env.waitForPhase('sandboxed', 'Succeeded');
  assert.ok(env.nodeNames.includes(run.status?.nodeName ?? ''), 'on the sandboxed pool’s node');
  // As JSON (client-node returns model classes).
  const pod = JSON.parse(JSON.stringify(await env.podOf('sandboxed-1'))) as Pod | undefined;
  const podSpec = pod?.spec;
  assert.equal(podSpec?.runtimeClassName, runtimeClass, 'the pool’s RuntimeClass reached the pod');
  assert.equal(podSpec?.securityContext?.runAsNonRoot, true);
  assert.deepEqual(podSpec?.securityContext?.seccompProfile, { type: 'RuntimeDefault' });
  assert.equal(podSpec?.automountServiceAccountToken, false);
  assert.deepEqual(
    podSpec?.volumes?.map((v) => v.name),
    ['workspace'],
    'no service account token volume was added',
  );
  for (const c of [...(podSpec?.initContainers ?? []), ...(podSpec?.containers ?? [])]) {
    assert.equal(c.securityContext?.runAsNonRoot, true, c.name);
    assert.equal(c.securityContext?.allowPrivilegeEscalation, false, c.name);
    assert.deepEqual(c.securityContext?.capabilities, { drop: ['ALL'] }, c.name);
    assert.equal(
      c.volumeMounts?.some((m) => m.mountPath.startsWith('/var/run/secrets')),
      false,
      `${c.name} mounts no credentials`,
    );
  }
  assert.equal(
    pod?.metadata?.annotations?.['container.apparmor.security.beta.kubernetes.io/build'],
    undefined,
    'the run’s AppArmor annotation did not reach the pod',
  );

  const refused = await env.waitForPhase('plain', 'Failed');
  assert.equal(refused.status?.reason, 'PodRejected');
  assert.match(refused.status?.message ?? '', /violates PodSecurity "restricted:latest"/);
  assert.match(refused.status?.message ?? '', /runAsNonRoot/);
  assert.equal(await env.podOf('plain-1'), undefined);
  assert.deepEqual(unhandledErrors(operator.logs), []);
});

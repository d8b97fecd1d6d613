// Runner pods run untrusted code. Whatever the run says (the examples, or a run stored with
// fields the schema doesn't have, as a CRD without pruning would keep them), its pod gets no
// API credentials, no host namespaces, ports or paths, no privilege, no capability, the
// runtime's default seccomp profile, and none of the annotations that loosen confinement or
// configure a sandbox runtime. A pool's runAsNonRoot and runtimeClassName always reach it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Container, Pod } from '../../../../src/kube/json.ts';
import { buildRunnerPod } from '../../../../src/resources/runner-pod/build.ts';
import type { NodePool, PipelineRun } from '../../../../src/resources/types.ts';
import { gitImage, makePool, makeRun } from '../../../support/builders.ts';
import { examples } from '../../../support/fixtures.ts';

const pools: [string, NodePool][] = [
  ['a plain pool', makePool()],
  ['a sandboxed pool', makePool({ spec: { runner: { runAsNonRoot: true, runtimeClassName: 'gvisor' } } })],
];

function runs(): [string, PipelineRun][] {
  const fromExamples = examples()
    .filter((e) => e.manifest.kind === 'PipelineRun')
    .map((e): [string, PipelineRun] => {
      const run = structuredClone(e.manifest) as unknown as PipelineRun;
      run.metadata = { ...run.metadata, namespace: 'ci', uid: `uid-${e.file}`, generation: 1 };
      return [e.file, run];
    });
  return [
    ...fromExamples,
    ['a hostile stored run', hostileRun()],
    ['a run reaching for its git credentials', runReachingForCredentials()],
  ];
}

/** The credentials must stay in the checkout however the run tries to reach them. */
function runReachingForCredentials(): PipelineRun {
  return makeRun({
    name: 'reaching',
    spec: {
      source: {
        git: { url: 'git@example.com:a.git', revision: 'main', credentials: { secretName: 'deploy-key' } },
      },
      services: [
        { name: 'db', image: 'postgres:17', workingDir: '/var/run/secrets/furrow.dev/git-credentials' },
      ],
      steps: [
        { name: 'build', script: 'cat /var/run/secrets/furrow.dev/git-credentials/ssh-privatekey' },
        { name: 'test', command: ['ls', '/var/run/secrets/furrow.dev/git-credentials'] },
      ],
    },
  });
}

/** Fields a pod has and a PipelineRun doesn't, smuggled into every level of a run. */
function hostileRun(): PipelineRun {
  const smuggled = {
    securityContext: { privileged: true, runAsUser: 0, capabilities: { add: ['SYS_ADMIN', 'NET_RAW'] } },
    volumeMounts: [{ name: 'root', mountPath: '/host' }],
    volumeDevices: [{ name: 'disk', devicePath: '/dev/xvda' }],
  };
  const run = makeRun({
    name: 'hostile',
    spec: {
      services: [
        {
          name: 'db',
          image: 'postgres:17',
          ports: [{ containerPort: 5432, hostPort: 5432, hostIP: '0.0.0.0' }],
          ...smuggled,
        },
      ],
      steps: [
        { name: 'build', command: ['make'], ...smuggled },
        { name: 'test', script: 'make test', ...smuggled },
      ],
    } as never,
  });
  Object.assign(run.spec, {
    hostNetwork: true,
    hostPID: true,
    hostIPC: true,
    serviceAccountName: 'admin',
    automountServiceAccountToken: true,
    volumes: [{ name: 'root', hostPath: { path: '/' } }],
    securityContext: { runAsUser: 0 },
  });
  return run;
}

const containersOf = (pod: Pod): Container[] => [
  ...(pod.spec?.initContainers ?? []),
  ...(pod.spec?.containers ?? []),
];

for (const [what, run] of runs()) {
  for (const [where, pool] of pools) {
    test(`${what} on ${where}: no credentials, nothing of the host, no privilege`, () => {
      const pod = buildRunnerPod({ run, pool, attempt: 1, remainingMs: 3_600_000, gitImage });
      const spec = pod.spec ?? { containers: [] };
      assert.equal(spec.automountServiceAccountToken, false, 'no service account token');
      assert.equal(spec.serviceAccountName, undefined, 'the namespace default account, unless the pool says');
      assert.equal(spec.enableServiceLinks, false);
      for (const field of ['hostNetwork', 'hostPID', 'hostIPC', 'shareProcessNamespace', 'nodeName'] as const)
        assert.equal(spec[field], undefined, field);
      const credentials = run.spec.source?.git.credentials;
      assert.deepEqual(
        spec.volumes,
        [
          { name: 'workspace', emptyDir: {} },
          ...(credentials
            ? [
                {
                  name: 'furrow-git-credentials',
                  secret: { secretName: credentials.secretName, defaultMode: 0o400, optional: true },
                },
              ]
            : []),
        ],
        'one emptyDir workspace and the git credentials Secret, no host paths',
      );
      assert.deepEqual(spec.securityContext?.seccompProfile, { type: 'RuntimeDefault' });
      assert.equal(spec.securityContext?.runAsUser, undefined);
      for (const c of containersOf(pod)) {
        const sc = c.securityContext ?? {};
        assert.equal(sc.privileged, false, `${c.name} privileged`);
        assert.equal(sc.allowPrivilegeEscalation, false, `${c.name} privilege escalation`);
        assert.deepEqual(sc.capabilities, { drop: ['ALL'] }, `${c.name} capabilities`);
        assert.deepEqual(sc.seccompProfile, { type: 'RuntimeDefault' }, `${c.name} seccomp`);
        assert.equal(sc.runAsUser, undefined, `${c.name} runAsUser`);
        assert.equal(c.volumeDevices, undefined, `${c.name} devices`);
        // The git credentials reach the checkout alone, read-only; steps and services never.
        assert.deepEqual(
          c.volumeMounts,
          [
            { name: 'workspace', mountPath: '/workspace' },
            ...(credentials && c.name === 'furrow-checkout'
              ? [
                  {
                    name: 'furrow-git-credentials',
                    mountPath: '/var/run/secrets/furrow.dev/git-credentials',
                    readOnly: true,
                  },
                ]
              : []),
          ],
          `${c.name} mounts only the workspace${c.name === 'furrow-checkout' ? ' and the credentials' : ''}`,
        );
        const env = JSON.stringify(c.env ?? []);
        if (credentials && c.name !== 'furrow-checkout')
          assert.ok(!env.includes(credentials.secretName), `${c.name} env names the credentials Secret`);
        for (const port of c.ports ?? []) {
          assert.equal(port.hostPort, undefined, `${c.name} hostPort`);
          assert.equal(port.hostIP, undefined, `${c.name} hostIP`);
        }
      }
      const sandboxed = pool.spec.runner?.runAsNonRoot === true;
      assert.equal(spec.runtimeClassName, sandboxed ? 'gvisor' : undefined, 'the pool’s runtime class');
      assert.equal(
        spec.securityContext?.runAsNonRoot,
        sandboxed ? true : undefined,
        'the pool’s runAsNonRoot',
      );
      for (const c of containersOf(pod))
        assert.equal(c.securityContext?.runAsNonRoot, sandboxed ? true : undefined, `${c.name} runAsNonRoot`);
    });
  }
}

// Only an allowlist of a run's metadata reaches its pod: [key, passes as an annotation, passes as a label].
const metadataKeys: [string, boolean, boolean][] = [
  // Allowed: the documented user prefix, the simulation's annotations, unprefixed labels.
  ['pod.furrow.dev/team', true, true],
  ['sim.furrow.dev/duration', true, false],
  ['team', false, true],
  // Confinement and the runtime.
  ['container.apparmor.security.beta.kubernetes.io/build', false, false],
  ['seccomp.security.alpha.kubernetes.io/pod', false, false],
  ['container.seccomp.security.alpha.kubernetes.io/build', false, false],
  ['io.kubernetes.cri-o.Devices', false, false],
  ['io.kubernetes.cri-o.userns-mode', false, false],
  ['io.katacontainers.config.hypervisor.kernel_params', false, false],
  ['dev.gvisor.spec.mount.host.source', false, false],
  ['io.containerd.cri.runtime-handler', false, false],
  ['kubernetes.io/egress-bandwidth', false, false],
  ['cluster-autoscaler.kubernetes.io/safe-to-evict', false, false],
  // Network and identity: Multus, Calico, kube2iam/kiam, Istio.
  ['k8s.v1.cni.cncf.io/networks', false, false],
  ['cni.projectcalico.org/ipAddrs', false, false],
  ['cni.projectcalico.org/ipv4pools', false, false],
  ['iam.amazonaws.com/role', false, false],
  ['sidecar.istio.io/inject', false, false],
  ['traffic.sidecar.istio.io/excludeOutboundIPRanges', false, false],
  ['istio.io/rev', false, false],
  ['proxy.istio.io/config', false, false],
  // Anything else not allowed, Furrow's own and kubectl's included.
  ['example.com/team', false, false],
  ['app.kubernetes.io/name', false, false],
  ['furrow.dev/pool', false, false],
  ['furrow.dev/generation', false, false],
  ['kubectl.kubernetes.io/last-applied-configuration', false, false],
  ['kubectl.kubernetes.io/default-container', false, false],
  ['pod.furrow.dev.evil.com/x', false, false],
];

for (const [key, annotation, label] of metadataKeys) {
  test(`run metadata ${key}: ${annotation ? 'copied' : 'not copied'} as an annotation, ${label ? 'copied' : 'not copied'} as a label`, () => {
    const run = makeRun({ annotations: { [key]: 'x' }, labels: { [key]: 'x' } });
    const pod = buildRunnerPod({ run, pool: makePool(), attempt: 1, remainingMs: 3_600_000, gitImage });
    assert.equal(pod.metadata?.annotations?.[key] === 'x', annotation, 'annotation');
    assert.equal(pod.metadata?.labels?.[key] === 'x', label, 'label');
  });
}

test('the pod’s annotations are the allowed ones and Furrow’s own', () => {
  const run = makeRun({
    annotations: Object.fromEntries(metadataKeys.map(([k]) => [k, 'x'])),
  });
  const pod = buildRunnerPod({ run, pool: makePool(), attempt: 1, remainingMs: 3_600_000, gitImage });
  const keys = Object.keys(pod.metadata?.annotations ?? {}).sort();
  assert.deepEqual(keys, [
    'furrow.dev/generation',
    'kubectl.kubernetes.io/default-container',
    'pod.furrow.dev/team',
    'sim.furrow.dev/duration',
  ]);
});

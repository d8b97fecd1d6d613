// The real node (test/cluster/real-node/) really runs pods: init containers in order sharing
// an emptyDir, real exit codes and logs, a native sidecar reachable on localhost, the kubelet
// enforcing activeDeadlineSeconds, and a git clone at a given revision. Every assertion rests on
// something only a real container can produce (a token the shell computed, a file another
// container wrote, a signal trap, a commit id), never on kwok's simulation. Skipped when the
// cluster has no node labelled furrow.dev/runtime=real.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { core, kubectl, suffix, testNamespace, waitFor } from '../support/kube.ts';
import {
  finished,
  realNodeImages,
  realNodePod,
  requireRealNode,
  serveGitRepo,
  waitForPod,
} from '../support/real-node.ts';

const { busybox, git } = realNodeImages;

function logs(ns: string, pod: string, container: string): string {
  const result = kubectl(['logs', '-n', ns, pod, '-c', container]);
  assert.equal(result.code, 0, `kubectl logs ${pod} -c ${container}: ${result.stderr}`);
  return result.stdout;
}

const terminated = (statuses: k8s.V1ContainerStatus[] | undefined, name: string) =>
  statuses?.find((s) => s.name === name)?.state?.terminated;

test('init containers run in order on the real node, share an emptyDir, and a failing container ends the pod with its exit code', async (t) => {
  const node = await requireRealNode(t);
  if (!node) return;
  const ns = await testNamespace(t, 'real');
  const token = suffix();
  const workspace = [{ name: 'workspace', mountPath: '/workspace' }];
  await core().createNamespacedPod({
    namespace: ns,
    body: realNodePod('steps', {
      volumes: [{ name: 'workspace', emptyDir: {} }],
      initContainers: [
        {
          name: 'write',
          image: busybox,
          command: ['sh', '-c', `echo ${token} > /workspace/token && echo wrote ${token}`],
          volumeMounts: workspace,
        },
        {
          // Fails (cat: no such file) unless "write" ran, and finished, before it.
          name: 'read',
          image: busybox,
          command: ['sh', '-c', 'echo "read $(cat /workspace/token)"'],
          volumeMounts: workspace,
        },
      ],
      containers: [
        {
          name: 'fail',
          image: busybox,
          command: ['sh', '-c', 'echo "failing after $(cat /workspace/token)"; exit 3'],
          volumeMounts: workspace,
        },
      ],
    }),
  });

  const pod = await waitForPod(ns, 'steps', 'to finish', finished);
  assert.equal(pod.spec?.nodeName, node.metadata?.name);
  assert.equal(pod.status?.phase, 'Failed');
  const write = terminated(pod.status.initContainerStatuses, 'write');
  const read = terminated(pod.status.initContainerStatuses, 'read');
  const fail = terminated(pod.status.containerStatuses, 'fail');
  assert.equal(write?.exitCode, 0);
  assert.equal(read?.exitCode, 0);
  assert.equal(fail?.exitCode, 3);
  // Seconds resolution: "read" started no earlier than "write" finished.
  assert.ok(write.finishedAt && read.startedAt && new Date(write.finishedAt) <= new Date(read.startedAt));
  assert.equal(logs(ns, 'steps', 'write'), `wrote ${token}\n`);
  assert.equal(logs(ns, 'steps', 'read'), `read ${token}\n`);
  assert.equal(logs(ns, 'steps', 'fail'), `failing after ${token}\n`);
});

test('kubectl logs shows what each container really wrote, stdout and stderr', async (t) => {
  if (!(await requireRealNode(t))) return;
  const ns = await testNamespace(t, 'real');
  await core().createNamespacedPod({
    namespace: ns,
    body: realNodePod('logs', {
      initContainers: [{ name: 'first', image: busybox, command: ['sh', '-c', 'echo "6*7=$((6 * 7))"'] }],
      containers: [
        {
          name: 'second',
          image: busybox,
          command: ['sh', '-c', 'echo "on $(hostname)"; echo to-stderr >&2; seq 3'],
        },
      ],
    }),
  });
  const pod = await waitForPod(ns, 'logs', 'to finish', finished);
  assert.equal(pod.status?.phase, 'Succeeded');
  assert.equal(logs(ns, 'logs', 'first'), '6*7=42\n');
  // Both streams are in the log, each in its own order (containerd copies them separately).
  const lines = logs(ns, 'logs', 'second').split('\n');
  assert.deepEqual(
    lines.filter((l) => l !== 'to-stderr'),
    ['on logs', '1', '2', '3', ''],
  );
  assert.equal(lines.filter((l) => l === 'to-stderr').length, 1);
});

test('a native sidecar listening on a port is reachable from a later container on localhost', async (t) => {
  if (!(await requireRealNode(t))) return;
  const ns = await testNamespace(t, 'real');
  const token = suffix();
  await core().createNamespacedPod({
    namespace: ns,
    body: realNodePod('sidecar', {
      initContainers: [
        {
          name: 'service',
          image: busybox,
          restartPolicy: 'Always',
          // Serves one connection at a time; the trap ends it promptly when the kubelet stops it.
          command: [
            'sh',
            '-c',
            `trap "exit 0" TERM; while true; do echo "pong ${token}" | nc -l -p 8080 & wait $!; done`,
          ],
          // The main container starts once the port accepts connections.
          startupProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1, failureThreshold: 30 },
        },
      ],
      containers: [
        {
          name: 'client',
          image: busybox,
          command: ['sh', '-c', 'echo "got $(nc 127.0.0.1 8080 </dev/null)"'],
        },
      ],
    }),
  });
  const pod = await waitForPod(ns, 'sidecar', 'to finish', finished);
  // The kubelet stops the sidecar once the main container is done; that doesn't fail the pod.
  assert.equal(pod.status?.phase, 'Succeeded');
  assert.equal(terminated(pod.status.containerStatuses, 'client')?.exitCode, 0);
  assert.equal(terminated(pod.status.initContainerStatuses, 'service')?.exitCode, 0);
  assert.equal(logs(ns, 'sidecar', 'client'), `got pong ${token}\n`);
});

test('the kubelet stops a container that runs past activeDeadlineSeconds', async (t) => {
  if (!(await requireRealNode(t))) return;
  const ns = await testNamespace(t, 'real');
  const deadline = 5;
  await core().createNamespacedPod({
    namespace: ns,
    body: realNodePod('deadline', {
      activeDeadlineSeconds: deadline,
      terminationGracePeriodSeconds: 5,
      containers: [
        {
          name: 'sleeper',
          image: busybox,
          // PID 1 gets no default signal handling: the trap shows the kubelet's SIGTERM arrived.
          command: ['sh', '-c', 'trap "echo got SIGTERM; exit 143" TERM; echo started; sleep 300 & wait'],
        },
      ],
    }),
  });
  const started = Date.now();
  const pod = await waitForPod(ns, 'deadline', 'to be stopped', finished);
  const elapsed = (Date.now() - started) / 1000;
  assert.equal(pod.status?.phase, 'Failed');
  assert.equal(pod.status.reason, 'DeadlineExceeded');
  const sleeper = terminated(pod.status.containerStatuses, 'sleeper');
  assert.equal(sleeper?.exitCode, 143);
  assert.ok(elapsed >= deadline - 1 && elapsed < 60, `stopped after ${elapsed}s`);
  assert.ok(sleeper.startedAt && sleeper.finishedAt);
  const ran = (new Date(sleeper.finishedAt).getTime() - new Date(sleeper.startedAt).getTime()) / 1000;
  assert.ok(ran >= deadline - 2 && ran < 30, `the container ran ${ran}s`);
  assert.equal(logs(ns, 'deadline', 'sleeper'), 'started\ngot SIGTERM\n');
});

test('a pod clones a local git repository at a given revision', async (t) => {
  const node = await requireRealNode(t);
  if (!node) return;
  const ns = await testNamespace(t, 'real');
  const repo = await serveGitRepo(t, node, 3);
  const revision = repo.commits[1] ?? '';
  await core().createNamespacedPod({
    namespace: ns,
    body: realNodePod('checkout', {
      volumes: [{ name: 'workspace', emptyDir: {} }],
      initContainers: [
        {
          name: 'checkout',
          image: git,
          workingDir: '/workspace',
          command: [
            'sh',
            '-c',
            `git clone --quiet ${repo.url} src && cd src && git checkout --quiet --detach ${revision} && git rev-parse HEAD`,
          ],
          volumeMounts: [{ name: 'workspace', mountPath: '/workspace' }],
        },
      ],
      containers: [
        {
          name: 'build',
          image: busybox,
          command: ['cat', '/workspace/src/version'],
          volumeMounts: [{ name: 'workspace', mountPath: '/workspace' }],
        },
      ],
    }),
  });
  const pod = await waitForPod(ns, 'checkout', 'to finish', finished);
  assert.equal(pod.status?.phase, 'Succeeded', logs(ns, 'checkout', 'checkout'));
  assert.equal(logs(ns, 'checkout', 'checkout'), `${revision}\n`);
  assert.equal(logs(ns, 'checkout', 'build'), 'v2\n');
});

test('a pod that does not tolerate the real node taint is never scheduled there', async (t) => {
  if (!(await requireRealNode(t))) return;
  const ns = await testNamespace(t, 'real');
  const pod = realNodePod(
    'intruder',
    { containers: [{ name: 'main', image: busybox, command: ['true'] }] },
    { tolerate: false },
  );
  await core().createNamespacedPod({ namespace: ns, body: pod });
  const condition = await waitFor('scheduler to refuse the pod', async () => {
    const p = await core().readNamespacedPod({ name: 'intruder', namespace: ns });
    return p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  });
  assert.equal(condition.reason, 'Unschedulable');
  // The real node (Ready, the only match of the pod's selector) is refused for its taint. How
  // many other nodes the message counts, and why, depends on what else the cluster holds.
  assert.match(condition.message ?? '', /\b[1-9]\d* node\(s\) had untolerated taint/);
  const after = await core().readNamespacedPod({ name: 'intruder', namespace: ns });
  assert.equal(after.spec?.nodeName ?? '', '', 'never bound to a node');
});

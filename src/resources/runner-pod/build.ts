// run + pool → runner pod. Pure: everything that varies (the attempt, the time left) is an
// argument, so the same inputs always give the same pod (golden tests hold it to that).
//
// Layout (why: docs/adr/0004-runner-pod.md):
//   initContainers: services (native sidecars, restartPolicy Always), furrow-checkout, then
//                   every step but the last, in order
//   containers:     the last step
// Init containers run one at a time and a failing one stops the pod, which is exactly the
// step semantics; the pod requests the largest step's resources rather than their sum.
import type { Pod, Toleration } from '../../kube/json.ts';
import { generationAnnotation, logsFinalizer, pinnedNodeAnnotation, runOwnerReference } from '../api.ts';
import {
  attemptLabel,
  labelValue,
  managedByLabel,
  managedByValue,
  poolLabel,
  runLabel,
  runUidLabel,
} from '../labels.ts';
import { poolTaints } from '../nodepool/taints.ts';
import type { NodePool, PipelineRun } from '../types.ts';
import { checkout, service, step } from './containers.ts';
import { gitCredentialsMode, gitCredentialsVolume, workspaceVolume } from './constants.ts';
import { runnerPodName } from './naming.ts';
import { isCopiedAnnotation, isCopiedLabel, podSecurityContext } from './security.ts';

export interface RunnerPodInput {
  run: PipelineRun;
  pool: NodePool;
  attempt: number;
  /** Time left of the run's timeout, in ms: the pod's activeDeadlineSeconds backstop. */
  remainingMs: number;
  gitImage: string;
  /**
   * Logs are archived to the object store: the pod carries the logs finalizer, so that no
   * deletion (Furrow's own, the garbage collector's, a user's) removes it before its logs are
   * copied (ADR 12).
   */
  archiveLogs?: boolean;
  /**
   * The node admission gave the run, in a pool with maxRunsPerNode: the pod may only go there
   * (a required node affinity, as the DaemonSet controller pins its pods), so the scheduler
   * can't put more of the pool's runs on a node than the limit (ADR 9).
   */
  node?: string;
}

/**
 * activeDeadlineSeconds only backs the operator up: the operator ends a run at its deadline
 * itself; the kubelet kills the pod this much later if the operator can't.
 */
const deadlineBackstopSeconds = 30;

export function buildRunnerPod({
  run,
  pool,
  attempt,
  remainingMs,
  gitImage,
  node,
  archiveLogs,
}: RunnerPodInput): Pod {
  const spec = run.spec;
  const runner = pool.spec.runner ?? {};
  const runAsNonRoot = runner.runAsNonRoot;
  const poolName = pool.metadata.name ?? spec.pool;
  const runName = run.metadata.name ?? '';

  const steps = spec.steps.map((s) => step(s, spec, runner.resources, runAsNonRoot));
  const last = steps.pop();
  if (!last) throw new Error('a PipelineRun has at least one step');
  const services = (spec.services ?? []).map((s) => service(s, runner.resources, runAsNonRoot));
  const git = spec.source?.git;
  const initContainers = [...services, ...(git ? [checkout(git, gitImage, runAsNonRoot)] : []), ...steps];

  let deadline = Math.max(1, Math.ceil(remainingMs / 1000)) + deadlineBackstopSeconds;
  if (runner.activeDeadlineSeconds !== undefined) deadline = Math.min(deadline, runner.activeDeadlineSeconds);

  const tolerations: Toleration[] = poolTaints(pool).map((t) => ({
    key: t.key,
    operator: 'Equal',
    value: t.value ?? '',
    effect: t.effect,
  }));

  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: runnerPodName(runName, attempt),
      namespace: run.metadata.namespace,
      labels: {
        ...Object.fromEntries(Object.entries(run.metadata.labels ?? {}).filter(([k]) => isCopiedLabel(k))),
        [runLabel]: labelValue(runName),
        [runUidLabel]: run.metadata.uid ?? '',
        [poolLabel]: poolName,
        [attemptLabel]: String(attempt),
        [managedByLabel]: managedByValue,
      },
      annotations: {
        ...Object.fromEntries(
          Object.entries(run.metadata.annotations ?? {}).filter(([k]) => isCopiedAnnotation(k)),
        ),
        [generationAnnotation]: String(run.metadata.generation ?? 0),
        ...(node !== undefined ? { [pinnedNodeAnnotation]: node } : {}),
        'kubectl.kubernetes.io/default-container': spec.steps[0]?.name ?? last.name,
      },
      ownerReferences: [runOwnerReference(run)],
      ...(archiveLogs ? { finalizers: [logsFinalizer] } : {}),
    },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      ...(runner.serviceAccountName ? { serviceAccountName: runner.serviceAccountName } : {}),
      ...(runner.runtimeClassName ? { runtimeClassName: runner.runtimeClassName } : {}),
      ...(runner.priorityClassName ? { priorityClassName: runner.priorityClassName } : {}),
      activeDeadlineSeconds: deadline,
      nodeSelector: { [poolLabel]: poolName },
      ...(node !== undefined
        ? {
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [
                    { matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] },
                  ],
                },
              },
            },
          }
        : {}),
      tolerations,
      securityContext: podSecurityContext(runAsNonRoot),
      ...(initContainers.length > 0 ? { initContainers } : {}),
      containers: [last],
      volumes: [
        { name: workspaceVolume, emptyDir: {} },
        // Optional: without the Secret the checkout starts and fails at once, naming it,
        // instead of the pod waiting for the volume until its pending timeout.
        ...(git?.credentials
          ? [
              {
                name: gitCredentialsVolume,
                secret: {
                  secretName: git.credentials.secretName,
                  defaultMode: gitCredentialsMode,
                  optional: true,
                },
              },
            ]
          : []),
      ],
    },
  };
}

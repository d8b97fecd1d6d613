// Runner pods run untrusted code: they get no API credentials, no privilege escalation, no
// Linux capabilities, the runtime's default seccomp profile, and no host namespaces.
import type * as k8s from '@kubernetes/client-node';
import type { Json } from '../../kube/json.ts';

export function podSecurityContext(runAsNonRoot: boolean | undefined): Json<k8s.V1PodSecurityContext> {
  return {
    seccompProfile: { type: 'RuntimeDefault' },
    ...(runAsNonRoot ? { runAsNonRoot: true } : {}),
  };
}

export function containerSecurityContext(runAsNonRoot: boolean | undefined): Json<k8s.V1SecurityContext> {
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
    ...(runAsNonRoot ? { runAsNonRoot: true } : {}),
  };
}

/** The documented prefix under which a run's labels and annotations are copied to its pod. */
export const podMetadataPrefix = 'pod.furrow.dev/';
/** kwok's simulation reads these annotations (test clusters only; inert on real nodes). */
const simulationPrefix = 'sim.furrow.dev/';

/**
 * Which of a run's annotations its pod gets: an allowlist, since any other annotation may be
 * read by something that loosens confinement or changes the pod's network or identity (the
 * container runtimes, AppArmor and seccomp forms, Multus, Calico, kube2iam/kiam, Istio, ...).
 * Only keys under pod.furrow.dev/ and the simulation's sim.furrow.dev/ pass.
 */
export function isCopiedAnnotation(key: string): boolean {
  return key.startsWith(podMetadataPrefix) || key.startsWith(simulationPrefix);
}

/**
 * Which of a run's labels its pod gets: unprefixed keys without a dot (team: payments) and keys
 * under pod.furrow.dev/. A prefixed or dotted key belongs to some component (Istio's
 * sidecar.istio.io/inject, istio.io/rev, Kubernetes' own, Furrow's, a runtime's) and does not pass.
 */
export function isCopiedLabel(key: string): boolean {
  return !/[/.]/.test(key) || key.startsWith(podMetadataPrefix);
}

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

/** Container runtimes and sandboxes read their settings from annotations with these prefixes. */
const runtimeAnnotationPrefixes = ['io.kubernetes.', 'io.containerd.', 'io.katacontainers.', 'dev.gvisor.'];

/**
 * Annotations a run may not pass on to its pod: those of Kubernetes' own components (domains
 * kubernetes.io and k8s.io: AppArmor's and seccomp's annotation forms, CDI devices, bandwidth,
 * the autoscaler; kubectl's bookkeeping excepted) and the container runtimes' (CRI-O,
 * containerd, Kata, gVisor), which can loosen confinement or reconfigure a sandbox.
 */
export function isConfinementAnnotation(key: string): boolean {
  if (runtimeAnnotationPrefixes.some((p) => key.startsWith(p))) return true;
  const slash = key.indexOf('/');
  if (slash < 0) return false;
  const domain = key.slice(0, slash);
  if (domain === 'kubectl.kubernetes.io') return false;
  return /(^|\.)(kubernetes\.io|k8s\.io)$/.test(domain);
}

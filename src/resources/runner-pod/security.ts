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

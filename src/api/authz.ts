// May this user read this run? "Anyone allowed to read the run can read its logs, and nobody
// else": the kube-apiserver already checked `get pipelineruns/log` (api.furrow.dev) before
// proxying; furrow-api also asks, with a SubjectAccessReview, whether the user may `get` the
// PipelineRun itself (furrow.dev). Decisions are reused for a few seconds per user and run, so
// following a log of many containers costs one review, not one per container.
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeJson } from '../kube/raw.ts';
import type { UserInfo } from './authn.ts';

export interface Decision {
  allowed: boolean;
  /** The authorizer's reason, when it gave one. */
  reason: string;
}

export interface Authorizer {
  canGetRun(user: UserInfo, namespace: string, name: string): Promise<Decision>;
}

export const runGroup = 'furrow.dev';
export const runResource = 'pipelineruns';

/** Pure: the SubjectAccessReview asking whether user may get the run. */
export function accessReview(user: UserInfo, namespace: string, name: string): object {
  return {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user: user.username,
      groups: user.groups,
      extra: user.extra,
      resourceAttributes: { group: runGroup, resource: runResource, verb: 'get', namespace, name },
    },
  };
}

interface ReviewStatus {
  status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string };
}

export class SubjectAccessReviewAuthorizer implements Authorizer {
  private readonly cache = new Map<string, { decision: Decision; until: number }>();
  private readonly kc: KubeConfig;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(kc: KubeConfig, ttlMs: number, now: () => number = Date.now) {
    this.kc = kc;
    this.ttlMs = ttlMs;
    this.now = now;
  }

  async canGetRun(user: UserInfo, namespace: string, name: string): Promise<Decision> {
    const key = JSON.stringify([user, namespace, name]);
    const hit = this.cache.get(key);
    if (hit && hit.until > this.now()) return hit.decision;
    const review = await kubeJson<ReviewStatus>(this.kc, {
      method: 'POST',
      path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
      body: accessReview(user, namespace, name),
    });
    const decision = {
      allowed: review.status?.allowed === true,
      reason: review.status?.reason ?? review.status?.evaluationError ?? '',
    };
    if (this.ttlMs > 0) {
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(key, { decision, until: this.now() + this.ttlMs });
    }
    return decision;
  }
}

// Objects as the API server sends them: JSON, timestamps as RFC 3339 strings. client-node's
// model types say Date where the wire has a string, so the informer caches use Json<...> of
// those types, which are exact.
import type * as k8s from '@kubernetes/client-node';

export type Json<T> = T extends Date
  ? string
  : T extends (infer U)[]
    ? Json<U>[]
    : T extends object
      ? { [K in keyof T]: Json<T[K]> }
      : T;

export type Pod = Json<k8s.V1Pod>;
export type Node = Json<k8s.V1Node>;
export type Container = Json<k8s.V1Container>;
export type ContainerStatus = Json<k8s.V1ContainerStatus>;
export type Taint = Json<k8s.V1Taint>;
export type Toleration = Json<k8s.V1Toleration>;
export type OwnerReference = Json<k8s.V1OwnerReference>;
export type ObjectMeta = Json<k8s.V1ObjectMeta>;

/** Any object with Kubernetes metadata, as the informers hold them. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/** "namespace/name", or "name" for cluster-scoped objects: the work queue's key. */
export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const slash = key.indexOf('/');
  return slash < 0
    ? { namespace: undefined, name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

// The API's identity: group, version and the names of both kinds, as the operator addresses
// them and as the CRDs declare them.

export const group = 'furrow.dev';
export const version = 'v1alpha1';
export const apiVersion = `${group}/${version}`;

/** The category `kubectl get furrow` lists. */
export const category = 'furrow';

export interface KindNames {
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  scope: 'Namespaced' | 'Cluster';
}

export const pipelineRunNames: KindNames = {
  kind: 'PipelineRun',
  listKind: 'PipelineRunList',
  plural: 'pipelineruns',
  singular: 'pipelinerun',
  // Not "pr" or "pipelinerun" alone: Tekton's PipelineRun may live in the same cluster.
  shortNames: ['prun'],
  scope: 'Namespaced',
};

export const nodePoolNames: KindNames = {
  kind: 'NodePool',
  listKind: 'NodePoolList',
  plural: 'nodepools',
  singular: 'nodepool',
  shortNames: ['npool'],
  scope: 'Cluster',
};

/** The label (and default taint) the controller puts on a pool's nodes: furrow.dev/pool=<pool name>. */
export const poolLabel = `${group}/pool`;

// Discovery documents of api.furrow.dev/v1alpha1: what the aggregator and kubectl read to learn
// the group exists. The APIService is Available once /apis/api.furrow.dev/v1alpha1 answers 200.
export const apiGroup = 'api.furrow.dev';
export const apiVersion = 'v1alpha1';
export const groupVersion = `${apiGroup}/${apiVersion}`;

const version = { groupVersion, version: apiVersion };

export function apiGroupDoc(): object {
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: apiGroup,
    versions: [version],
    preferredVersion: version,
  };
}

export function apiGroupListDoc(): object {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [apiGroupDoc()] };
}

/** The subresources RBAC names: `pipelineruns/log` and `pipelineruns/archive`, verb get. */
export function apiResourceListDoc(): object {
  const sub = (name: string, kind: string) => ({
    name,
    singularName: '',
    namespaced: true,
    kind,
    verbs: ['get'],
  });
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: [sub('pipelineruns/log', 'PipelineRunLog'), sub('pipelineruns/archive', 'PipelineRunArchive')],
  };
}

/**
 * What an API request does, from its method and URL: the verb and resource that the API
 * server's own metrics and audit log use. Pure; used to label request metrics.
 */
export interface RequestInfo {
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection' | 'other';
  /** e.g. "pods", "pipelineruns/status", "leases". */
  resource: string;
}

export function requestInfo(method: string, url: string): RequestInfo {
  const parsed = new URL(url, 'https://placeholder');
  const parts = parsed.pathname.split('/').filter(Boolean);
  // /api/v1/... or /apis/<group>/<version>/...
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) rest = parts.slice(2);
  else if (parts[0] === 'apis' && parts.length >= 3) rest = parts.slice(3);
  else return { verb: 'other', resource: parsed.pathname };
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  const [resource = '', name, subresource] = rest;
  const fullResource = subresource ? `${resource}/${subresource}` : resource;
  const watching = parsed.searchParams.get('watch') === 'true' || parsed.searchParams.get('watch') === '1';
  switch (method.toUpperCase()) {
    case 'GET':
      if (watching) return { verb: 'watch', resource: fullResource };
      return { verb: name === undefined ? 'list' : 'get', resource: fullResource };
    case 'POST':
      return { verb: 'create', resource: fullResource };
    case 'PUT':
      return { verb: 'update', resource: fullResource };
    case 'PATCH':
      return { verb: 'patch', resource: fullResource };
    case 'DELETE':
      return { verb: name === undefined ? 'deletecollection' : 'delete', resource: fullResource };
    default:
      return { verb: 'other', resource: fullResource };
  }
}

/** Reads change nothing; the benchmark counts them apart from writes. */
export function isRead(verb: RequestInfo['verb']): boolean {
  return verb === 'get' || verb === 'list' || verb === 'watch';
}

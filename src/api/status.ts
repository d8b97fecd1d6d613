// Kubernetes Status objects: how furrow-api says no, in the shape kubectl and client libraries
// already read (code, reason, message), so the plugin and `kubectl get --raw` show the message.
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  code: number;
  reason: string;
  message: string;
  details?: { name?: string; group?: string; kind?: string };
}

const reasons: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  500: 'InternalError',
  502: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** An error a handler throws to answer with this Status. */
export class StatusError extends Error {
  readonly code: number;
  readonly reason: string;
  constructor(code: number, message: string, reason?: string) {
    super(message);
    this.code = code;
    this.reason = reason ?? reasons[code] ?? 'Unknown';
  }
}

export function statusOf(code: number, message: string, reason?: string): Status {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    code,
    reason: reason ?? reasons[code] ?? 'Unknown',
    message,
  };
}

// Ajv's errors, restated the way the API server states them: a field path such as
// spec.steps[1].name, and a message.
import type { ErrorObject } from 'ajv';

export interface FieldError {
  /** Kubernetes-style path of the offending field: "spec.steps[1].name", "spec.labels.furrow.dev/team". */
  path: string;
  message: string;
}

function unescape(token: string): string {
  return token.replaceAll('~1', '/').replaceAll('~0', '~');
}

function escape(name: string): string {
  return name.replaceAll('~', '~0').replaceAll('/', '~1');
}

/**
 * A JSON pointer as a Kubernetes field path. The data decides between "[1]" and ".1": a
 * pointer alone can't tell a list index from a map key that looks like a number.
 */
export function kubernetesPath(pointer: string, root: unknown): string {
  let node = root;
  let path = '';
  for (const token of pointer.split('/').slice(1).map(unescape)) {
    if (Array.isArray(node)) {
      path += `[${token}]`;
      node = node[Number(token)] as unknown;
    } else {
      path += path === '' ? token : `.${token}`;
      node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[token] : undefined;
    }
  }
  return path;
}

function pointerOf(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  // Ajv reports a missing or unknown field at its parent; Kubernetes at the field itself.
  if (error.keyword === 'required') return `${error.instancePath}/${escape(String(params.missingProperty))}`;
  if (error.keyword === 'additionalProperties') {
    return `${error.instancePath}/${escape(String(params.additionalProperty))}`;
  }
  return error.instancePath;
}

function messageOf(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return 'Required value';
    case 'additionalProperties':
      return 'unknown field';
    case 'enum':
      return `Unsupported value: supported values: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return error.message ?? 'Invalid value';
  }
}

/** One FieldError per distinct path and message, in ajv's order. */
export function fieldErrors(errors: ErrorObject[], root: unknown): FieldError[] {
  const seen = new Set<string>();
  const result: FieldError[] = [];
  for (const error of errors) {
    const fieldError = { path: kubernetesPath(pointerOf(error), root), message: messageOf(error) };
    const key = `${fieldError.path}\n${fieldError.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      result.push(fieldError);
    }
  }
  return result;
}

// The change that makes a node carry its pool's labels and taints, and nothing more of
// Furrow's. What Furrow added is recorded in an annotation on the node, so that when the node
// leaves the pool (or the pool is deleted) exactly that is removed: labels and taints that
// were there before, or that others add, are never touched. Pure.
import type { Node, Taint } from '../../kube/json.ts';
import { group } from '../names.ts';
import type { NodePool } from '../types.ts';
import { poolLabels, poolTaints } from './taints.ts';

export const managedAnnotation = `${group}/managed`;

export interface ManagedRecord {
  pool: string;
  labels: Record<string, string>;
  taints: Taint[];
}

export function readRecord(node: Node): ManagedRecord | undefined {
  const raw = node.metadata?.annotations?.[managedAnnotation];
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as Partial<ManagedRecord>;
    return { pool: parsed.pool ?? '', labels: parsed.labels ?? {}, taints: parsed.taints ?? [] };
  } catch {
    return undefined;
  }
}

const sameTaint = (a: Taint, b: Taint) => a.key === b.key && a.effect === b.effect;
const identicalTaint = (a: Taint, b: Taint) => sameTaint(a, b) && (a.value ?? '') === (b.value ?? '');

export interface NodePatch {
  /** A JSON merge patch for the node. */
  patch: {
    metadata: {
      labels?: Record<string, string | null>;
      annotations: Record<string, string | null>;
      resourceVersion?: string;
    };
    spec?: { taints: Taint[] };
  };
  /** Human summary for logs. */
  summary: string;
}

/**
 * The patch that gives `node` the labels and taints of `owner` (or none of Furrow's when
 * undefined), or undefined when it already has them.
 */
export function nodePatch(node: Node, owner: NodePool | undefined): NodePatch | undefined {
  const record = readRecord(node) ?? { pool: '', labels: {}, taints: [] };
  const labels = node.metadata?.labels ?? {};
  const wantLabels = owner ? poolLabels(owner) : {};
  const wantTaints = owner ? poolTaints(owner) : [];
  const next: ManagedRecord = { pool: owner?.metadata.name ?? '', labels: {}, taints: [] };
  const labelPatch: Record<string, string | null> = {};
  const notes: string[] = [];

  for (const [key, value] of Object.entries(wantLabels)) {
    if (labels[key] !== value) {
      labelPatch[key] = value;
      next.labels[key] = value;
      notes.push(`label ${key}=${value}`);
    } else if (record.labels[key] === value) {
      next.labels[key] = value;
    }
  }
  for (const [key, value] of Object.entries(record.labels)) {
    if (key in wantLabels) continue;
    if (labels[key] === value) {
      labelPatch[key] = null;
      notes.push(`-label ${key}`);
    }
  }

  let taints = [...(node.spec?.taints ?? [])];
  let taintsChanged = false;
  for (const want of wantTaints) {
    const existing = taints.find((t) => sameTaint(t, want));
    if (existing && identicalTaint(existing, want)) {
      if (record.taints.some((t) => identicalTaint(t, want))) next.taints.push(want);
      continue;
    }
    taints = existing ? taints.map((t) => (sameTaint(t, want) ? want : t)) : [...taints, want];
    taintsChanged = true;
    next.taints.push(want);
    notes.push(`taint ${want.key}=${want.value ?? ''}:${want.effect}`);
  }
  for (const added of record.taints) {
    if (wantTaints.some((w) => identicalTaint(w, added))) continue;
    const before = taints.length;
    taints = taints.filter((t) => !identicalTaint(t, added));
    if (taints.length !== before) {
      taintsChanged = true;
      notes.push(`-taint ${added.key}:${added.effect}`);
    }
  }

  const empty = Object.keys(next.labels).length === 0 && next.taints.length === 0;
  const recordValue = empty ? null : JSON.stringify(next);
  const recordChanged = (node.metadata?.annotations?.[managedAnnotation] ?? null) !== recordValue;
  if (Object.keys(labelPatch).length === 0 && !taintsChanged && !recordChanged) return undefined;

  return {
    patch: {
      metadata: {
        ...(Object.keys(labelPatch).length > 0 ? { labels: labelPatch } : {}),
        annotations: { [managedAnnotation]: recordValue },
        // The taint list is replaced whole: only on the version it was computed from.
        ...(taintsChanged ? { resourceVersion: node.metadata?.resourceVersion ?? '' } : {}),
      },
      ...(taintsChanged ? { spec: { taints } } : {}),
    },
    summary: notes.length > 0 ? notes.join(', ') : 'bookkeeping',
  };
}

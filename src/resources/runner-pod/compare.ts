// Whether a pod that claims to be a run's (controlled by it) is the pod Furrow would build for
// it: what matters for confinement and for what runs. Pure. Adoption uses it: a pod whose name
// was taken by someone who copied the run's owner reference is reported, not adopted.
import type { Pod, Toleration } from '../../kube/json.ts';

type Spec = NonNullable<Pod['spec']>;
type Container = Spec['containers'][number];
type Volume = NonNullable<Spec['volumes']>[number];

/** Tolerations the API server adds to every pod (DefaultTolerationSeconds): not a difference. */
function isDefaultToleration(t: Toleration): boolean {
  return (
    (t.key === 'node.kubernetes.io/not-ready' || t.key === 'node.kubernetes.io/unreachable') &&
    t.effect === 'NoExecute' &&
    t.operator === 'Exists' &&
    t.tolerationSeconds === 300
  );
}

const json = (value: unknown): string => JSON.stringify(value ?? null);

function toleration(t: Toleration): string {
  return json([
    t.key ?? '',
    t.operator ?? 'Equal',
    t.value ?? '',
    t.effect ?? '',
    t.tolerationSeconds ?? null,
  ]);
}

function container(c: Container): string {
  return json({ name: c.name, image: c.image, command: c.command ?? [], args: c.args ?? [] });
}

/** A volume's name, kind and what it points at (the API server fills in modes and the like). */
function volume(v: Volume): string {
  const { name, ...sources } = v;
  const kinds = Object.keys(sources).sort();
  const src = sources as Record<string, Record<string, unknown> | undefined>;
  const target = kinds.map((k) => {
    const s = src[k] ?? {};
    return [k, s.secretName ?? s.claimName ?? s.name ?? s.path ?? s.medium ?? ''];
  });
  return json([name, target]);
}

function sameList(a: string[], b: string[]): boolean {
  return json(a) === json(b);
}

function sameSet(a: string[], b: string[]): boolean {
  return sameList([...a].sort(), [...b].sort());
}

/** How `got` differs from `want` where it matters; empty when it is the pod Furrow would build. */
export function podSpecDifferences(want: Pod, got: Pod): string[] {
  const w = want.spec ?? { containers: [] };
  const g = got.spec ?? { containers: [] };
  const out: string[] = [];
  if (!sameList((w.initContainers ?? []).map(container), (g.initContainers ?? []).map(container)))
    out.push('initContainers (names, images, commands or args)');
  if (!sameList(w.containers.map(container), g.containers.map(container)))
    out.push('containers (names, images, commands or args)');
  const gotTolerations = (g.tolerations ?? []).filter((t) => !isDefaultToleration(t)).map(toleration);
  if (!sameSet((w.tolerations ?? []).map(toleration), gotTolerations)) out.push('tolerations');
  if (json(Object.entries(w.nodeSelector ?? {}).sort()) !== json(Object.entries(g.nodeSelector ?? {}).sort()))
    out.push('nodeSelector');
  if (!sameSet((w.volumes ?? []).map(volume), (g.volumes ?? []).map(volume))) out.push('volumes');
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const)
    if ((w[field] ?? false) !== (g[field] ?? false)) out.push(field);
  for (const field of ['serviceAccountName', 'runtimeClassName'] as const)
    if (
      (w[field] ?? '') !== (g[field] ?? '') &&
      !(field === 'serviceAccountName' && !w[field] && g[field] === 'default')
    )
      out.push(field);
  return out;
}

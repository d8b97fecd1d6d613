// Where a run's logs live in the object store, and what says an attempt's archive is complete.
// Pure: the archiver (operator), furrow-api and the plugin all read and write through these, so
// the layout is written down once. Keys carry the run's uid, so a new run that reuses an old
// run's name never mixes with it; the namespace and name come first, so the runs of a name can
// be listed after the PipelineRun object is gone.
//
//   logs/v1/<namespace>/<name>/<uid>/attempt-<n>/<ordinal>-<container>.log   one per container
//   logs/v1/<namespace>/<name>/<uid>/attempt-<n>/manifest.json               written last
//
// A container's object holds the kubelet's output with timestamps (`timestamps=true`): every
// line starts with an RFC 3339 time and a space, which readers strip unless asked for them.
// An attempt's archive is complete exactly when its manifest exists: the manifest is written
// only after every container's object, so a crash or a deleted run mid-archive never leaves
// something that looks complete.

export const logsPrefix = 'logs/v1/';

export interface RunLogRef {
  namespace: string;
  name: string;
  uid: string;
}

/** What one container of an attempt was, in the order the pod ran them. */
export type ContainerRole = 'checkout' | 'step' | 'service';

export interface ArchivedContainer {
  name: string;
  role: ContainerRole;
  /** Object key of its log. */
  key: string;
  bytes: number;
  sha256: string;
  /** The kubelet's log was unreadable (container never started, node gone): why. */
  missing?: string;
}

export interface AttemptManifest {
  version: 1;
  run: RunLogRef;
  attempt: number;
  pod: string;
  /** RFC 3339: when the last container's object was written. */
  archivedAt: string;
  containers: ArchivedContainer[];
}

export function runPrefix(run: RunLogRef): string {
  return `${namePrefix(run.namespace, run.name)}${run.uid}/`;
}

/** Every run of this name in the namespace, past and present (one uid folder each). */
export function namePrefix(namespace: string, name: string): string {
  return `${logsPrefix}${namespace}/${name}/`;
}

export function attemptPrefix(run: RunLogRef, attempt: number): string {
  return `${runPrefix(run)}attempt-${attempt}/`;
}

export function containerLogKey(run: RunLogRef, attempt: number, ordinal: number, container: string): string {
  return `${attemptPrefix(run, attempt)}${String(ordinal).padStart(2, '0')}-${container}.log`;
}

export function manifestKey(run: RunLogRef, attempt: number): string {
  return `${attemptPrefix(run, attempt)}manifest.json`;
}

/** Parses a key under logsPrefix back into its run and attempt; undefined for other keys. */
export function parseLogKey(key: string): (RunLogRef & { attempt: number; file: string }) | undefined {
  if (!key.startsWith(logsPrefix)) return undefined;
  const parts = key.slice(logsPrefix.length).split('/');
  if (parts.length !== 5) return undefined;
  const [namespace, name, uid, attemptPart, file] = parts as [string, string, string, string, string];
  const match = /^attempt-(\d+)$/.exec(attemptPart);
  if (!match || !namespace || !name || !uid || !file) return undefined;
  return { namespace, name, uid, attempt: Number(match[1]), file };
}

/** The kubelet's timestamp prefix ("2026-12-02T15:49:34.123456789Z "), taken off one line. */
export function stripTimestamp(line: string): string {
  const space = line.indexOf(' ');
  if (space < 20 || space > 40) return line;
  return /^\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)$/.test(line.slice(0, space))
    ? line.slice(space + 1)
    : line;
}

// How a step's container runs its script or command.
//
// Most steps run exactly what the user wrote: a `command` as given, a `script` through
// `/bin/sh -e -c` (or, when it starts with #!, as an executable file, so any interpreter
// works). Two features need a process that outlives the user's command, which Kubernetes
// doesn't give a single container: `onError: continue` (the container must exit 0 so the pod
// goes on, yet report the real exit code) and a per-step `timeout`. For those the command
// runs under a small POSIX shell wrapper, so the step image needs /bin/sh.
//
// The wrapper's contract, which the status function reads (and the local cluster's kwok
// stages imitate): it writes "exitCode=<n> timedOut=<true|false>" to the container's
// termination message, and exits 0 when the step failed with onError: continue.

import type { Step } from '../types.ts';
import { parseDuration } from '../duration.ts';
import { workspaceMount } from './constants.ts';
import { verbatim } from './verbatim.ts';

/** The wrapper. $@ is the step's own argv. */
export const wrapperScript = `# furrow step wrapper: see docs/adr/0004-runner-pod.md
"$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM INT
marker="${workspaceMount}/.furrow/$FURROW_STEP_NAME.timed-out"
if [ -n "\${FURROW_STEP_TIMEOUT:-}" ]; then
  mkdir -p "${workspaceMount}/.furrow"
  ( sleep "$FURROW_STEP_TIMEOUT"; : > "$marker"; kill -TERM "$child" 2>/dev/null; sleep 10; kill -KILL "$child" 2>/dev/null ) &
  watchdog=$!
fi
wait "$child"; code=$?
while kill -0 "$child" 2>/dev/null; do wait "$child"; code=$?; done
[ -n "\${watchdog:-}" ] && kill "$watchdog" 2>/dev/null
timed_out=false
if [ -e "$marker" ]; then timed_out=true; code=124; fi
printf 'exitCode=%s timedOut=%s\\n' "$code" "$timed_out" > /dev/termination-log 2>/dev/null
if [ "$code" -ne 0 ] && [ "\${FURROW_ON_ERROR:-}" = continue ]; then exit 0; fi
exit "$code"
`;

/** Runs a script that starts with #! as an executable file, so its interpreter is used. */
const shebangLauncher = 'f=$(mktemp); printf "%s" "$1" > "$f"; chmod +x "$f"; exec "$f"';

export interface StepProcess {
  command?: string[];
  args?: string[];
  /** Environment the wrapper reads; empty when the step runs unwrapped. */
  env: { name: string; value: string }[];
  /** The wrapper reports through the termination message; kubelet reads it from this file. */
  wrapped: boolean;
}

export function needsWrapper(step: Step): boolean {
  return step.timeout !== undefined || step.onError === 'continue';
}

/**
 * The argv that runs a script (a step's or a service's): under /bin/sh -e, or, when it starts
 * with #!, as an executable file so its own interpreter runs it. Escaped for Kubernetes'
 * $(VAR) expansion, so the script reaches the shell byte for byte.
 */
export function scriptCommand(script: string): string[] {
  if (script.startsWith('#!'))
    return ['/bin/sh', '-c', verbatim(shebangLauncher), 'furrow-step', verbatim(script)];
  return ['/bin/sh', '-e', '-c', verbatim(script)];
}

/** The step's own argv: what the user asked to run. */
function ownProcess(step: Step): { command?: string[]; args?: string[] } {
  if (step.script !== undefined) return { command: scriptCommand(step.script) };
  // command and args as the user wrote them: Kubernetes expands $(VAR) in them, as in any pod.
  return {
    ...(step.command !== undefined ? { command: step.command } : {}),
    ...(step.args !== undefined ? { args: step.args } : {}),
  };
}

export function stepProcess(step: Step): StepProcess {
  const own = ownProcess(step);
  if (!needsWrapper(step)) return { ...own, env: [], wrapped: false };
  // The schema requires a script or a command for wrapped steps (wrappedStepRunsACommand): an
  // image's own entrypoint can't be wrapped because it is unknown here.
  const argv = [...(own.command ?? []), ...(own.args ?? [])];
  const env = [
    { name: 'FURROW_STEP_NAME', value: step.name },
    { name: 'FURROW_ON_ERROR', value: step.onError ?? 'stopAndFail' },
  ];
  const timeoutMs = step.timeout === undefined ? undefined : parseDuration(step.timeout);
  if (timeoutMs !== undefined)
    env.push({ name: 'FURROW_STEP_TIMEOUT', value: String(Math.max(1, Math.ceil(timeoutMs / 1000))) });
  return { command: ['/bin/sh', '-c', verbatim(wrapperScript), 'furrow-step', ...argv], env, wrapped: true };
}

export interface WrapperReport {
  exitCode: number;
  timedOut: boolean;
}

/** Reads the wrapper's termination message; undefined if it isn't one. */
export function parseWrapperReport(message: string | undefined): WrapperReport | undefined {
  const match = /exitCode=(\d+) timedOut=(true|false)/.exec(message ?? '');
  if (!match) return undefined;
  return { exitCode: Number(match[1]), timedOut: match[2] === 'true' };
}

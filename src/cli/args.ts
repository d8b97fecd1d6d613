// The plugin's command line, parsed without I/O: `kubectl furrow logs RUN [flags]`. A wrong
// argument is an ArgsError naming it; the entry point prints it with the usage.
import { parseArgs } from 'node:util';

export interface LogsArgs {
  command: 'logs';
  run: string;
  namespace: string | undefined;
  follow: boolean;
  attempt: number | undefined;
  step: string | undefined;
  timestamps: boolean;
  uid: string | undefined;
  kubeconfig: string | undefined;
  context: string | undefined;
}

export type Args = LogsArgs | { command: 'help' };

export class ArgsError extends Error {}

export const usage = `Usage: kubectl furrow logs RUN [-n NAMESPACE] [-f] [--attempt N] [--step NAME] [--timestamps] [--uid UID]

Prints the logs of a PipelineRun's containers in the order its pod runs them (checkout, steps,
services), each line prefixed with its step. Reads them live from the runner pod, or from
Furrow's log archive once the pod is gone, through the Kubernetes API server (api.furrow.dev).

  -n, --namespace NS   the run's namespace (default: the kubeconfig context's, else default)
  -f, --follow         wait through Queued, follow each step as it starts; exit 0 when the run
                       succeeded, 1 when it did not
      --attempt N      an earlier attempt (default: the latest)
      --step NAME      one step, service, or checkout
      --timestamps     prefix each line with the time the container printed it
      --uid UID        a deleted run's uid (without it, a deleted run's archived runs are listed)
      --kubeconfig F   kubeconfig file (default: $KUBECONFIG, ~/.kube/config)
      --context C      kubeconfig context`;

const dnsSubdomain = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export function parseCliArgs(argv: string[]): Args {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        namespace: { type: 'string', short: 'n' },
        follow: { type: 'boolean', short: 'f' },
        attempt: { type: 'string' },
        step: { type: 'string' },
        timestamps: { type: 'boolean' },
        uid: { type: 'string' },
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new ArgsError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0 || positionals[0] === 'help') return { command: 'help' };
  const [command, run, ...rest] = positionals;
  if (command !== 'logs') throw new ArgsError(`unknown command "${command ?? ''}": the plugin has one, logs`);
  if (!run) throw new ArgsError('logs: name the PipelineRun: kubectl furrow logs RUN');
  if (rest.length > 0) throw new ArgsError(`logs: one run at a time, got also: ${rest.join(' ')}`);
  if (!dnsSubdomain.test(run)) throw new ArgsError(`logs: "${run}" is not a PipelineRun name`);
  let attempt: number | undefined;
  if (values.attempt !== undefined) {
    if (!/^[1-9]\d{0,5}$/.test(values.attempt))
      throw new ArgsError(`--attempt: expected a number from 1, got "${values.attempt}"`);
    attempt = Number(values.attempt);
  }
  if (values.namespace !== undefined && !dnsSubdomain.test(values.namespace))
    throw new ArgsError(`--namespace: "${values.namespace}" is not a namespace name`);
  if (values.uid !== undefined && !/^[0-9a-fA-F-]{1,64}$/.test(values.uid))
    throw new ArgsError(`--uid: "${values.uid}" is not a PipelineRun uid`);
  return {
    command: 'logs',
    run,
    namespace: values.namespace,
    follow: values.follow ?? false,
    attempt,
    step: values.step,
    timestamps: values.timestamps ?? false,
    uid: values.uid,
    kubeconfig: values.kubeconfig,
    context: values.context,
  };
}

// The kubectl plugin's entry point (bin/kubectl-furrow runs it with the repository's Node 24):
// `kubectl furrow logs RUN ...`. The user's kubeconfig, as kubectl reads it, with every
// authentication method; errors are one clear line and a non-zero exit code.
import { KubeConfig } from '@kubernetes/client-node';
import { ArgsError, parseCliArgs, usage } from './args.ts';
import { CliError, KubeLogsClient } from './client.ts';
import { LogsCommand } from './logs.ts';

async function main(): Promise<number> {
  let args;
  try {
    args = parseCliArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof ArgsError)) throw err;
    process.stderr.write(`kubectl furrow: ${err.message}\n\n${usage}\n`);
    return 2;
  }
  if (args.command === 'help') {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const kc = new KubeConfig();
  try {
    if (args.kubeconfig) kc.loadFromFile(args.kubeconfig);
    else kc.loadFromDefault();
    if (args.context) kc.setCurrentContext(args.context);
    if (!kc.getCurrentCluster()) throw new Error('it names no current cluster');
  } catch (err) {
    process.stderr.write(
      `kubectl furrow: cannot load the kubeconfig: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    return 1;
  }
  const namespace = args.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  // A closed pipe (| head) ends the plugin quietly.
  process.stdout.on('error', () => process.exit(0));
  const command = new LogsCommand(
    new KubeLogsClient(kc),
    {
      out: process.stdout,
      err: process.stderr,
      colour: process.stdout.isTTY && !process.env.NO_COLOR,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      pollMs: 1000,
    },
    args,
    namespace,
  );
  try {
    return await command.run();
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    process.stderr.write(`kubectl furrow: ${err.message}\n`);
    return err.exitCode;
  }
}

process.exitCode = await main();

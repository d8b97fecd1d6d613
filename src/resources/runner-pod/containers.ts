// The runner pod's containers: the checkout, one per step, one per service.
import type { Container } from '../../kube/json.ts';
import type { EnvVar, GitSource, PipelineRunSpec, ResourceRequirements, Service, Step } from '../types.ts';
import {
  checkoutContainer,
  gitCredentialKeys as keys,
  gitCredentialsMount,
  gitCredentialsVolume,
  sourceDir,
  workspaceMount,
  workspaceVolume,
} from './constants.ts';
import { containerSecurityContext } from './security.ts';
import { scriptCommand, stepProcess } from './step-wrapper.ts';
import { verbatim } from './verbatim.ts';

const workspaceMounts = [{ name: workspaceVolume, mountPath: workspaceMount }];

const creds = gitCredentialsMount;

/**
 * With source.git.credentials, git authenticates from the Secret's files: an http(s) URL with
 * username and password (a credential helper, so they appear in no URL, argv or .git/config),
 * the server's certificate checked against ca.crt when the Secret has one (http.sslCAInfo;
 * never http.sslVerify=false); an SSH URL with ssh-privatekey, checking the server against
 * known_hosts (never StrictHostKeyChecking=no). A missing key (or Secret: the volume is
 * optional, so the checkout can say which) fails the checkout at once, naming the Secret and
 * the key, in the termination message the run's status shows.
 */
const credentialsScript = `refuse() {
  msg="Secret $FURROW_GIT_SECRET has no key $1 (or the Secret is missing, or uid $(id -u) can't read it): $2"
  echo "$msg" >&2; echo "$msg" > /dev/termination-log 2>/dev/null; exit 2
}
case "$FURROW_GIT_URL" in
http://* | https://*)
  [ -r "${creds}/${keys.username}" ] || refuse ${keys.username} 'an http(s) URL takes username and password'
  [ -r "${creds}/${keys.password}" ] || refuse ${keys.password} 'an http(s) URL takes username and password'
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=credential.helper
  export GIT_CONFIG_VALUE_0='!f() { if [ "$1" = get ]; then printf "username=%s\\npassword=%s\\n" "$(cat ${creds}/${keys.username})" "$(cat ${creds}/${keys.password})"; fi; }; f'
  if [ -e "${creds}/${keys.caCert}" ]; then
    export GIT_CONFIG_COUNT=2 GIT_CONFIG_KEY_1=http.sslCAInfo GIT_CONFIG_VALUE_1="${creds}/${keys.caCert}"
  fi
  ;;
*) # ssh:// or scp-like user@host:path (the schema allows credentials with nothing else)
  [ -r "${creds}/${keys.sshPrivateKey}" ] || refuse ${keys.sshPrivateKey} 'an SSH URL takes a private key'
  [ -s "${creds}/${keys.knownHosts}" ] || refuse ${keys.knownHosts} 'an SSH URL needs the server host keys (ssh-keyscan output); Furrow never turns off host key checking'
  export GIT_SSH_COMMAND="ssh -i ${creds}/${keys.sshPrivateKey} -o IdentitiesOnly=yes -o UserKnownHostsFile=${creds}/${keys.knownHosts} -o StrictHostKeyChecking=yes -o BatchMode=yes"
  ;;
esac
`;

/**
 * Fetches just the revision asked for (a branch, tag or commit); servers that refuse to
 * serve a commit by id get a full fetch instead. Then the tree is made writable for steps
 * that run as another user.
 */
const checkoutScript = (
  credentials: boolean,
) => `${credentials ? credentialsScript : ''}mkdir -p "${sourceDir}" && cd "${sourceDir}"
git init -q .
git remote add origin "$FURROW_GIT_URL"
depth=\${FURROW_GIT_DEPTH:+--depth=$FURROW_GIT_DEPTH}
if git fetch -q --no-tags $depth origin "$FURROW_GIT_REVISION"; then
  git checkout -q --detach FETCH_HEAD
else
  echo "fetching $FURROW_GIT_REVISION by name failed; fetching all branches and tags" >&2
  git fetch -q --tags origin '+refs/heads/*:refs/remotes/origin/*'
  git checkout -q --detach "$FURROW_GIT_REVISION"
fi
chmod -R a+rwX .
git log -1 --format='checked out %H: %s'
`;

export function checkout(git: GitSource, image: string, runAsNonRoot: boolean | undefined): Container {
  const secret = git.credentials?.secretName;
  return {
    name: checkoutContainer,
    image,
    command: ['/bin/sh', '-e', '-c', verbatim(checkoutScript(secret !== undefined))],
    env: [
      { name: 'FURROW_GIT_URL', value: verbatim(git.url) },
      { name: 'FURROW_GIT_REVISION', value: verbatim(git.revision) },
      ...(git.depth !== undefined ? [{ name: 'FURROW_GIT_DEPTH', value: String(git.depth) }] : []),
      ...(secret !== undefined ? [{ name: 'FURROW_GIT_SECRET', value: secret }] : []),
      // No terminal to ask for a password on: a refused login fails instead of hanging.
      { name: 'GIT_TERMINAL_PROMPT', value: '0' },
    ],
    volumeMounts: [
      ...workspaceMounts,
      ...(secret !== undefined
        ? [{ name: gitCredentialsVolume, mountPath: gitCredentialsMount, readOnly: true }]
        : []),
    ],
    // git's own last words (authentication failed, no such revision) become the reason's message.
    terminationMessagePolicy: 'FallbackToLogsOnError',
    securityContext: containerSecurityContext(runAsNonRoot),
  };
}

/** Later entries win over earlier ones with the same name (a step's env over the run's). */
function mergeEnv(...lists: (EnvVar[] | undefined)[]): EnvVar[] {
  const byName = new Map<string, EnvVar>();
  for (const list of lists) for (const v of list ?? []) byName.set(v.name, v);
  return [...byName.values()];
}

/**
 * Requirements merged resource by resource: what the step names wins, then the run's
 * spec.resources, then the pool's runner.resources (so a run asking only for more CPU keeps
 * the pool's memory limit). Quantities become strings (the API takes 2 or "2").
 */
function resources(...layers: (ResourceRequirements | undefined)[]): Container['resources'] {
  const merge = (pick: (r: ResourceRequirements) => Record<string, string | number> | undefined) => {
    const merged: Record<string, string> = {};
    for (const layer of layers) {
      for (const [name, quantity] of Object.entries((layer && pick(layer)) ?? {}))
        merged[name] ??= String(quantity);
    }
    return Object.keys(merged).length > 0 ? merged : undefined;
  };
  const requests = merge((r) => r.requests);
  const limits = merge((r) => r.limits);
  if (!requests && !limits) return undefined;
  return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
}

export function step(
  s: Step,
  spec: PipelineRunSpec,
  poolResources: ResourceRequirements | undefined,
  runAsNonRoot: boolean | undefined,
): Container {
  const process = stepProcess(s);
  const env = mergeEnv(spec.env, s.env, process.env);
  const res = resources(s.resources, spec.resources, poolResources);
  return {
    name: s.name,
    image: s.image ?? spec.image ?? '',
    ...(process.command ? { command: process.command } : {}),
    ...(process.args ? { args: process.args } : {}),
    ...(env.length > 0 ? { env } : {}),
    workingDir: s.workingDir ?? (spec.source?.git ? sourceDir : workspaceMount),
    ...(res ? { resources: res } : {}),
    volumeMounts: workspaceMounts,
    securityContext: containerSecurityContext(runAsNonRoot),
  };
}

/** A service is a native sidecar: it starts first, runs beside the steps, stops after them. */
export function service(
  s: Service,
  poolResources: ResourceRequirements | undefined,
  runAsNonRoot: boolean | undefined,
): Container {
  // A script as a step's: byte for byte, under sh -e or its own #! interpreter.
  const command = s.script !== undefined ? scriptCommand(s.script) : s.command;
  const res = resources(s.resources, poolResources);
  return {
    name: s.name,
    image: s.image,
    ...(command ? { command } : {}),
    ...(s.script === undefined && s.args ? { args: s.args } : {}),
    ...(s.env?.length ? { env: s.env } : {}),
    // Services start before the checkout, so the source directory doesn't exist yet for them.
    ...(s.workingDir ? { workingDir: s.workingDir } : {}),
    // Only the fields a service port has: a stored object's extras (hostPort) never pass.
    ...(s.ports?.length
      ? {
          ports: s.ports.map((p) => ({
            ...(p.name !== undefined ? { name: p.name } : {}),
            containerPort: p.containerPort,
            protocol: p.protocol ?? 'TCP',
          })),
        }
      : {}),
    ...(res ? { resources: res } : {}),
    volumeMounts: workspaceMounts,
    securityContext: containerSecurityContext(runAsNonRoot),
    restartPolicy: 'Always',
  };
}

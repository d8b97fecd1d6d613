// The local cluster's real node (test/cluster/real-node/): a kubelet with containerd that really
// runs containers. Helpers to find it, to write pods that land on it, to give Furrow a pool of
// it, and to serve a git repository to its pods (git daemon, HTTP(S) with basic auth, SSH).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import type { NodePoolSpec } from '../../src/resources/types.ts';
import { furrowEnv, type FurrowEnv } from './env.ts';
import { core, waitFor } from './kube.ts';

/**
 * Images imported into the real node's containerd (no registry: never pulled). The names are
 * set in test/cluster/real-node/lib.sh; pods must use imagePullPolicy Never (or IfNotPresent).
 */
export const realNodeImages = {
  /** busybox-static 1.35 from Debian: /bin/sh, nc, wget, sleep and the other applets. */
  busybox: 'furrow.local/busybox:1.35',
  /** The busybox image plus Debian's git 2.39 and ssh (openssh-client). */
  git: 'furrow.local/git:2.39',
};

export const realNodeSelector = { 'furrow.dev/runtime': 'real' };
/** The real node's taint: only pods that tolerate it run there. */
export const realNodeToleration: k8s.V1Toleration = {
  key: 'furrow.dev/runtime',
  operator: 'Equal',
  value: 'real',
  effect: 'NoSchedule',
};

/**
 * Creates the environment's pool over the real node, which keeps its own taint (the pool's
 * runner pods tolerate both), and waits until the node is in the pool.
 */
export async function createRealNodePool(env: FurrowEnv, extra: Partial<NodePoolSpec> = {}): Promise<void> {
  await env.createPool({
    nodeSelector: { matchLabels: realNodeSelector },
    taints: [
      { key: 'furrow.dev/pool', value: env.poolName, effect: 'NoSchedule' },
      { key: 'furrow.dev/runtime', value: 'real', effect: 'NoSchedule' },
    ],
    ...extra,
  });
  await waitFor('the real node in the pool', async () => (await env.pool()).status?.readyNodes === 1);
}

/** The Ready real node of the cluster under test, if it has one. */
export async function findRealNode(): Promise<k8s.V1Node | undefined> {
  const nodes = await core().listNode({ labelSelector: 'furrow.dev/runtime=real' });
  return nodes.items.find((n) =>
    n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
}

/**
 * Returns the real node, or marks the test skipped and returns undefined when the cluster has
 * none (FURROW_REAL_NODE=0, a machine that can't run it, kind); with FURROW_REAL_NODE=1 (CI)
 * that is a failure instead. Fails when the node lacks the
 * images the tests use. `t.skip` doesn't stop a test: callers return on undefined.
 */
export async function requireRealNode(t: TestContext): Promise<k8s.V1Node | undefined> {
  const node = await findRealNode();
  if (!node && process.env.FURROW_REAL_NODE === '1') {
    // CI requires the real node: a test that needs it fails rather than skips without it.
    throw new Error('FURROW_REAL_NODE=1, but the cluster has no Ready real node (see cluster-up’s log)');
  }
  if (!node) {
    t.skip(
      'needs a Ready node labelled furrow.dev/runtime=real (the local cluster on a machine that runs it)',
    );
    return undefined;
  }
  const present = new Set((node.status?.images ?? []).flatMap((i) => i.names ?? []));
  for (const image of Object.values(realNodeImages)) {
    if (!present.has(image)) throw new Error(`real node ${node.metadata?.name} has no image ${image}`);
  }
  return node;
}

/**
 * A Furrow environment whose pool is the real node alone (no kwok nodes), the operator's
 * checkout image the real node's git image.
 */
export async function realNodeEnv(
  t: TestContext,
  pool: Partial<NodePoolSpec> = {},
  operator: { env?: Record<string, string>; args?: string[] } = {},
): Promise<FurrowEnv> {
  const env = await furrowEnv(t, {
    nodes: 0,
    createPool: false,
    operator: { ...operator, args: ['--git-image', realNodeImages.git, ...(operator.args ?? [])] },
  });
  await createRealNodePool(env, pool);
  return env;
}

/** The node's InternalIP: on the local real node, a host address its pods can reach. */
export function nodeIP(node: k8s.V1Node): string {
  const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  if (!ip) throw new Error(`node ${node.metadata?.name} has no InternalIP`);
  return ip;
}

/**
 * A pod for the real node: its selector and (unless `tolerate` is false) its toleration,
 * restartPolicy Never, and imagePullPolicy Never for every container that doesn't say (images
 * are imported, not pulled).
 */
export function realNodePod(name: string, spec: k8s.V1PodSpec, { tolerate = true } = {}): k8s.V1Pod {
  const never = (c: k8s.V1Container): k8s.V1Container => Object.assign({ imagePullPolicy: 'Never' }, c);
  const podSpec: k8s.V1PodSpec = Object.assign({ restartPolicy: 'Never' }, spec, {
    nodeSelector: { ...realNodeSelector, ...spec.nodeSelector },
    tolerations: [...(tolerate ? [realNodeToleration] : []), ...(spec.tolerations ?? [])],
    initContainers: spec.initContainers?.map(never),
    containers: spec.containers.map(never),
  });
  return { metadata: { name }, spec: podSpec };
}

/** Waits until the pod satisfies `done`; on timeout the error shows its last status. */
export async function waitForPod(
  namespace: string,
  name: string,
  what: string,
  done: (pod: k8s.V1Pod) => boolean,
  timeoutMs = 60_000,
): Promise<k8s.V1Pod> {
  let last: k8s.V1Pod | undefined;
  try {
    return await waitFor(
      `pod ${name} ${what}`,
      async () => {
        last = await core().readNamespacedPod({ name, namespace });
        return done(last) ? last : undefined;
      },
      { timeoutMs, intervalMs: 250 },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last status: ${JSON.stringify(last?.status)}`, {
      cause: err,
    });
  }
}

export const finished = (pod: k8s.V1Pod): boolean =>
  pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

export interface GitRepo {
  /** git:// URL of the repository, reachable from the real node's pods. */
  url: string;
  /** Commit ids in order, oldest first; commit i writes `version` = `v${i + 1}`. */
  commits: string[];
}

const gitEnv = {
  ...process.env,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'furrow-e2e',
  GIT_AUTHOR_EMAIL: 'e2e@furrow.dev',
  GIT_COMMITTER_NAME: 'furrow-e2e',
  GIT_COMMITTER_EMAIL: 'e2e@furrow.dev',
};

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/** A bare repository `repo.git` under a new temporary directory, with `commits` commits. */
function makeGitRepo(commits: number): { base: string; commits: string[] } {
  const base = mkdtempSync(path.join(os.tmpdir(), 'furrow-git-'));
  const repo = path.join(base, 'repo.git');
  const work = path.join(base, 'work');
  const git = (cwd: string, ...args: string[]): string =>
    execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' }).trim();
  git(base, 'init', '--quiet', '--bare', '--initial-branch=main', repo);
  git(base, 'init', '--quiet', '--initial-branch=main', work);
  const ids: string[] = [];
  for (let i = 1; i <= commits; i++) {
    writeFileSync(path.join(work, 'version'), `v${i}\n`);
    git(work, 'add', 'version');
    git(work, 'commit', '--quiet', '-m', `version ${i}`);
    ids.push(git(work, 'rev-parse', 'HEAD'));
  }
  git(work, 'push', '--quiet', repo, 'main');
  return { base, commits: ids };
}

/**
 * Makes a git repository with `commits` commits in a temporary directory and serves it with
 * `git daemon` on the node's address (the host's git; the node must be this machine), until
 * the test ends.
 */
export async function serveGitRepo(t: TestContext, node: k8s.V1Node, commits = 2): Promise<GitRepo> {
  const { base, commits: ids } = makeGitRepo(commits);
  const host = nodeIP(node);
  const port = await freePort(host);
  const daemon = spawn(
    'git',
    [
      'daemon',
      `--base-path=${base}`,
      '--export-all',
      '--reuseaddr',
      `--listen=${host}`,
      `--port=${port}`,
      base,
    ],
    { env: gitEnv, stdio: 'ignore' },
  );
  t.after(() => {
    daemon.kill();
    rmSync(base, { recursive: true, force: true });
  });
  await waitFor(`git daemon on ${host}:${port}`, async () => {
    if (daemon.exitCode !== null) throw new Error(`git daemon exited with ${daemon.exitCode}`);
    return new Promise<boolean>((resolve) => {
      const socket = net.connect(port, host, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  });
  return { url: `git://${host}:${port}/repo.git`, commits: ids };
}

export interface PrivateGitRepo extends GitRepo {
  /** Requests the server answered 401 (no or wrong credentials), and those it served. */
  refused: number;
  served: number;
}

/**
 * Serves a new repository over HTTP on the node's address, requiring basic auth with
 * `username` and `password`: `git http-backend` (the host's git) run as a CGI program by a
 * Node server, until the test ends. A request without those credentials gets 401. With `tls`
 * (a PEM key and certificate chain), over HTTPS.
 */
export async function servePrivateGitRepo(
  t: TestContext,
  node: k8s.V1Node,
  credentials: { username: string; password: string },
  { commits = 2, tls }: { commits?: number; tls?: { key: string; cert: string } } = {},
): Promise<PrivateGitRepo> {
  const { base, commits: ids } = makeGitRepo(commits);
  const expected = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  const stats = { refused: 0, served: 0 };
  const handler: http.RequestListener = (req, res) => {
    if (req.headers.authorization !== expected) {
      stats.refused++;
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="furrow-e2e"' }).end();
      return;
    }
    stats.served++;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const cgi = spawn('git', ['http-backend'], {
      env: {
        ...gitEnv,
        GIT_PROJECT_ROOT: base,
        GIT_HTTP_EXPORT_ALL: '1',
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_USER: credentials.username,
        REMOTE_ADDR: req.socket.remoteAddress ?? '',
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    req.pipe(cgi.stdin);
    // A CGI response: header lines, a blank line, the body.
    let head = Buffer.alloc(0);
    let inBody = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (inBody) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      inBody = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else res.setHeader(name, value);
      }
      res.writeHead(status);
      res.write(head.subarray(end + 4));
    });
    cgi.on('close', () => res.end());
  };
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  const host = nodeIP(node);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(base, { recursive: true, force: true });
  });
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('the git HTTP server has no port');
  return {
    url: `${tls ? 'https' : 'http'}://${host}:${address.port}/repo.git`,
    commits: ids,
    get refused() {
      return stats.refused;
    },
    get served() {
      return stats.served;
    },
  };
}

/** A new ed25519 key pair in `dir`: the private key's file and text, and the public key line. */
export function sshKeyPair(
  dir: string,
  name: string,
): { file: string; privateKey: string; publicKey: string } {
  const file = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
  return {
    file,
    privateKey: readFileSync(file, 'utf8'),
    publicKey: readFileSync(`${file}.pub`, 'utf8').trim(),
  };
}

export interface SshGitRepo extends GitRepo {
  /** A known_hosts file's text naming the server's host key, as ssh-keyscan prints it. */
  knownHosts: string;
  /** Makes known_hosts text for this server with another public key line (an impostor's). */
  knownHostsWith(publicKey: string): string;
  /** What sshd logged so far (-e: to its stderr). */
  log(): string;
}

const sshd = '/usr/sbin/sshd';

/**
 * Serves a new repository over SSH on the node's address: Debian's sshd (openssh-server,
 * installed by test/cluster/real-node/install.sh) with a configuration, host key and
 * authorized_keys of its own, on a port of its own, until the test ends. Only public key
 * authentication, only for `authorizedKey` (a public key line), as the user running the tests
 * (root: the real node needs it). Throws, never skips, when sshd is missing or can't start.
 */
export async function serveGitRepoOverSsh(
  t: TestContext,
  node: k8s.V1Node,
  authorizedKey: string,
  commits = 2,
): Promise<SshGitRepo> {
  if (!existsSync(sshd)) {
    throw new Error(`no ${sshd}: install Debian's openssh-server (test/cluster/real-node/install.sh does)`);
  }
  const { base, commits: ids } = makeGitRepo(commits);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'furrow-sshd-'));
  const hostKey = sshKeyPair(dir, 'host_ed25519');
  writeFileSync(path.join(dir, 'authorized_keys'), `restrict ${authorizedKey}\n`);
  const host = nodeIP(node);
  const port = await freePort(host);
  const user = os.userInfo().username;
  writeFileSync(
    path.join(dir, 'sshd_config'),
    [
      `ListenAddress ${host}:${port}`,
      `HostKey ${hostKey.file}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      // The temporary directory's parent (/tmp) is world-writable, which StrictModes refuses.
      'StrictModes no',
      'PidFile none',
      'UsePAM no',
      'AuthenticationMethods publickey',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      `AllowUsers ${user}`,
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  // Privilege separation's chroot directory (the Debian service creates it at boot).
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  let log = '';
  const server = spawn(sshd, ['-D', '-e', '-f', path.join(dir, 'sshd_config')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  server.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise((resolve) => server.once('exit', resolve));
  t.after(async () => {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill();
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
    rmSync(base, { recursive: true, force: true });
  });
  await waitFor(`sshd on ${host}:${port}`, async () => {
    if (server.exitCode !== null) throw new Error(`sshd exited with ${server.exitCode}: ${log}`);
    return new Promise<boolean>((resolve) => {
      const socket = net.connect(port, host, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  });
  const knownHostsWith = (publicKey: string) =>
    `[${host}]:${port} ${publicKey.split(' ').slice(0, 2).join(' ')}\n`;
  return {
    url: `ssh://${user}@${host}:${port}${base}/repo.git`,
    commits: ids,
    knownHosts: knownHostsWith(hostKey.publicKey),
    knownHostsWith,
    log: () => log,
  };
}

// Private repositories over SSH and HTTPS, cloned for real on the local cluster's real node
// (issue 16): the checkout container authenticates with the run's source.git.credentials Secret
// and checks the server (known_hosts; a private CA's ca.crt), and refuses a server it can't
// verify, naming why. The servers run on the node's address: Debian's sshd with its own
// configuration and keys, and git http-backend behind Node's https with a certificate from a CA
// the test makes. On a cluster without a real node these tests skip, and with
// FURROW_REAL_NODE=1 (CI) they fail.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { FurrowEnv } from '../support/env.ts';
import { core, kubectl, suffix } from '../support/kube.ts';
import {
  nodeIP,
  realNodeEnv,
  realNodeImages,
  requireRealNode,
  serveGitRepoOverSsh,
  servePrivateGitRepo,
  sshKeyPair,
} from '../support/real-node.ts';

const image = realNodeImages.busybox;

function tempDir(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function secret(env: FurrowEnv, name: string, type: string, stringData: Record<string, string>) {
  await core().createNamespacedSecret({
    namespace: env.namespace,
    body: { metadata: { name }, type, stringData },
  });
}

/** A run that clones `url` at `revision` with the Secret and checks the file the commit wrote. */
async function cloneRun(env: FurrowEnv, name: string, url: string, revision: string, secretName: string) {
  await env.createRun(name, {
    image,
    source: { git: { url, revision, credentials: { secretName } } },
    steps: [{ name: 'check', script: 'cat version; test "$(cat version)" = v1' }],
  });
}

async function expectCheckoutFailed(env: FurrowEnv, name: string, message: RegExp) {
  const run = await env.waitForPhase(name, 'Failed', { timeoutMs: 120_000 });
  assert.equal(run.status?.reason, 'CheckoutFailed', name);
  assert.match(run.status?.message ?? '', message, name);
  assert.equal(run.status?.steps?.[0]?.state, 'skipped', name);
}

async function expectCloned(env: FurrowEnv, name: string, revision: string) {
  const run = await env.waitForPhase(name, 'Succeeded', { timeoutMs: 120_000 });
  assert.equal(run.status?.steps?.[0]?.exitCode, 0);
  const logs = kubectl(['logs', '-n', env.namespace, `${name}-1`, '-c', 'furrow-checkout']);
  assert.match(logs.stdout, new RegExp(`checked out ${revision}`));
}

test('[real] a private repository over SSH: the deploy key and known_hosts clone it; another host key fails host key verification; a key the server doesn’t know is refused', async (t) => {
  const node = await requireRealNode(t);
  if (!node) return;
  const keys = tempDir(t, 'furrow-ssh-keys-');
  const deployKey = sshKeyPair(keys, 'deploy');
  const strangerKey = sshKeyPair(keys, 'stranger');
  const impostorHostKey = sshKeyPair(keys, 'impostor-host');
  const repo = await serveGitRepoOverSsh(t, node, deployKey.publicKey);
  const revision = repo.commits[0] ?? '';

  // Without a key the server knows, no way in: it offers public key authentication alone.
  const knownHostsFile = path.join(keys, 'known_hosts');
  writeFileSync(knownHostsFile, repo.knownHosts);
  const port = new URL(repo.url).port;
  const anonymous = spawnSync(
    'ssh',
    [
      '-F',
      'none',
      '-p',
      port,
      '-o',
      'BatchMode=yes',
      '-o',
      'PubkeyAuthentication=no',
      '-o',
      `UserKnownHostsFile=${knownHostsFile}`,
      '-o',
      'StrictHostKeyChecking=yes',
      `${os.userInfo().username}@${nodeIP(node)}`,
      'git-upload-pack',
      new URL(repo.url).pathname,
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  assert.equal(anonymous.status, 255, anonymous.stderr);
  assert.match(anonymous.stderr, /Permission denied \(publickey\)/);

  const env = await realNodeEnv(t);
  const ssh = (name: string, privateKey: string, knownHosts: string) =>
    secret(env, name, 'kubernetes.io/ssh-auth', { 'ssh-privatekey': privateKey, known_hosts: knownHosts });
  await ssh('deploy-key', deployKey.privateKey, repo.knownHosts);
  await ssh('impostor', deployKey.privateKey, repo.knownHostsWith(impostorHostKey.publicKey));
  await ssh('stranger', strangerKey.privateKey, repo.knownHosts);
  await cloneRun(env, 'ssh-private', repo.url, revision, 'deploy-key');
  await cloneRun(env, 'ssh-impostor', repo.url, revision, 'impostor');
  await cloneRun(env, 'ssh-stranger', repo.url, revision, 'stranger');

  await expectCloned(env, 'ssh-private', revision);
  // ssh stops before authenticating: the deploy key is never offered to a server it can't verify.
  await expectCheckoutFailed(env, 'ssh-impostor', /Host key verification failed/);
  await expectCheckoutFailed(env, 'ssh-stranger', /Permission denied \(publickey\)/);
  // Every login is the deploy key's (the checkout may connect twice: a fetch by commit id that
  // the server refuses, then all branches); the stranger's key was tried and refused.
  const fingerprint = (key: string) =>
    execFileSync('ssh-keygen', ['-l', '-f', `${key}.pub`], { encoding: 'utf8' }).split(' ')[1] ?? '';
  const log = repo.log();
  const logins = log.match(/Accepted publickey for .*/g) ?? [];
  assert.ok(logins.length > 0, `no login; sshd logged:\n${log}`);
  for (const login of logins) assert.ok(login.endsWith(fingerprint(deployKey.file)), login);
  const stranger = fingerprint(strangerKey.file);
  assert.ok(
    log.split(/\r?\n/).some((line) => line.startsWith('Failed publickey for ') && line.endsWith(stranger)),
    `the stranger's key was not refused; sshd logged:\n${log}`,
  );
});

/** A CA and a server certificate it signs for `ip`, made by openssl; PEM text. */
function certificates(
  dir: string,
  ip: string,
): { caCert: string; otherCaCert: string; key: string; cert: string } {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const ca of ['ca', 'other-ca'])
    openssl(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      `${ca}.key`,
      '-out',
      `${ca}.crt`,
      '-days',
      '1',
      '-subj',
      `/CN=furrow e2e ${ca}`,
    );
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${ip}`);
  writeFileSync(path.join(dir, 'server.ext'), `subjectAltName=IP:${ip}\nextendedKeyUsage=serverAuth\n`);
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    'server.ext',
    '-out',
    'server.crt',
  );
  const read = (file: string) => readFileSync(path.join(dir, file), 'utf8');
  return {
    caCert: read('ca.crt'),
    otherCaCert: read('other-ca.crt'),
    key: read('server.key'),
    cert: read('server.crt'),
  };
}

test('[real] a private repository over HTTPS with a private CA: basic auth and ca.crt clone it; without ca.crt, or with another CA, the checkout fails on the certificate', async (t) => {
  const node = await requireRealNode(t);
  if (!node) return;
  const pki = certificates(tempDir(t, 'furrow-tls-'), nodeIP(node));
  const password = `s3cret-${suffix()}`;
  const repo = await servePrivateGitRepo(t, node, { username: 'furrow', password }, { tls: pki });
  assert.match(repo.url, /^https:\/\//);
  const revision = repo.commits[0] ?? '';

  const env = await realNodeEnv(t);
  const login = { username: 'furrow', password };
  await secret(env, 'with-ca', 'kubernetes.io/basic-auth', { ...login, 'ca.crt': pki.caCert });
  await secret(env, 'without-ca', 'kubernetes.io/basic-auth', login);
  await secret(env, 'other-ca', 'kubernetes.io/basic-auth', { ...login, 'ca.crt': pki.otherCaCert });
  await cloneRun(env, 'https-private', repo.url, revision, 'with-ca');
  await cloneRun(env, 'https-without-ca', repo.url, revision, 'without-ca');
  await cloneRun(env, 'https-other-ca', repo.url, revision, 'other-ca');

  await expectCloned(env, 'https-private', revision);
  // Debian's git speaks TLS through libcurl with GnuTLS (OpenSSL's curl says "SSL certificate problem").
  const certificateRefused = /server certificate verification failed|SSL certificate problem/;
  await expectCheckoutFailed(env, 'https-without-ca', certificateRefused);
  await expectCheckoutFailed(env, 'https-other-ca', certificateRefused);
  assert.ok(repo.served > 0, 'the server served the clone that trusted its CA');
});

// The operator image without Docker: the Dockerfile's runtime stage assembled from what this
// checkout has (ADR 16), written as an OCI image archive that `ctr images import` reads.
//   node scripts/image/build.ts      prints {"archive": ..., "image": ...} as JSON
// - user, entry point, working directory, environment and ports: read from the Dockerfile's
//   runtime stage (dockerfile.ts), never written here a second time;
// - each of its COPYs from a recipe below (an unknown COPY fails the build, and the unit test);
// - what the distroless base gives: the Node 24 binary of the npm `node` package (the version
//   the project tests with) at /nodejs/bin/node, the C libraries it links (ldd), /etc/passwd
//   with the nonroot user, /tmp, and the CA bundle.
// Cached in $FURROW_CACHE/images/operator-<key>/, keyed by every input, so a warm build only
// hashes the sources (well under a second); a cold one compiles with tsc (about 20 s here).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runtimeConfig, type Copy, type RuntimeConfig } from './dockerfile.ts';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const imageRepository = 'furrow.local/furrow-operator';
/** Where distroless puts Node, and so where the entry point runs it from. */
export const nodePath = '/nodejs/bin/node';
/** distroless's nonroot user and group. */
export const passwd =
  'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n';
export const group = 'root:x:0:\nnonroot:x:65532:\n';
/** The environment distroless's config sets before the Dockerfile's ENV. */
export const baseEnv = [
  'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  'SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt',
];

/** The packages `npm ci --omit=dev` installs: the lockfile's entries not marked dev. */
export function productionPackages(): string[] {
  const lock = JSON.parse(readFileSync(path.join(repo, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; optional?: boolean }>;
  };
  return Object.entries(lock.packages)
    .filter(([key, entry]) => key.startsWith('node_modules/') && !entry.dev)
    .filter(([key, entry]) => !entry.optional || existsSync(path.join(repo, key)))
    .map(([key]) => key)
    .sort();
}

/** How each COPY of the runtime stage is made here; the key is `--from source`. */
const recipes: Record<string, (dest: string, work: string) => void> = {
  // npm ci --omit=dev: each production package, copied from this checkout's node_modules.
  'deps /app/node_modules': (dest) => {
    for (const key of productionPackages()) {
      // A nested package came with its parent's directory.
      const parent = key.split('/node_modules/').slice(0, -1).join('/node_modules/');
      if (parent && existsSync(path.join(dest, '..', parent))) continue;
      cpSync(path.join(repo, key), path.join(dest, '..', key), { recursive: true, verbatimSymlinks: true });
    }
  },
  // npm run build: tsc through tsconfig.build.json.
  'build /src/dist': (dest) => {
    const tsc = spawnSync(
      path.join(repo, 'node_modules/.bin/tsc'),
      ['-p', 'tsconfig.build.json', '--outDir', dest],
      { cwd: repo, encoding: 'utf8' },
    );
    if (tsc.status !== 0) throw new Error(`tsc failed:\n${tsc.stdout}${tsc.stderr}`);
  },
  ' package.json': (dest) => copyFileSync(path.join(repo, 'package.json'), dest),
};

export function recipeKey(copy: Copy): string {
  return `${copy.from ?? ''} ${copy.sources.join(' ')}`;
}

/** Each COPY's destination in the image, and its recipe; an unknown COPY is an error. */
export function plan(config: RuntimeConfig): { dest: string; make: (dest: string, work: string) => void }[] {
  return config.copies.map((copy) => {
    const make = recipes[recipeKey(copy)];
    if (!make)
      throw new Error(`Dockerfile: COPY ${recipeKey(copy).trim()} has no recipe in scripts/image/build.ts`);
    const to = path.posix.join(config.workdir, copy.destination);
    // COPY of a file into a directory keeps its name.
    const dest =
      copy.destination.endsWith('/') || copy.destination === './' || copy.destination === '.'
        ? path.posix.join(to, path.posix.basename(copy.sources[0] ?? ''))
        : to;
    return { dest, make };
  });
}

/** The OCI image config: the runtime stage's settings on top of the base's. */
export function imageConfig(config: RuntimeConfig): Record<string, unknown> {
  return {
    User: config.user,
    WorkingDir: config.workdir,
    Env: [...baseEnv, ...config.env],
    Entrypoint: config.entrypoint,
    ExposedPorts: Object.fromEntries(config.exposed.map((p) => [`${p}/tcp`, {}])),
  };
}

/** The shared libraries the Node binary loads, as ldd names them. */
function nodeLibraries(node: string): string[] {
  const ldd = spawnSync('ldd', [node], { encoding: 'utf8' });
  if (ldd.status !== 0) throw new Error(`ldd ${node}: ${ldd.stderr}`);
  return [...ldd.stdout.matchAll(/(\/\S+)/g)].map((m) => m[1] ?? '').filter(Boolean);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(dir, f))
    .filter((f) => statSync(f).isFile())
    .sort();
}

function cacheKey(node: string, libraries: string[]): string {
  const hash = createHash('sha256');
  const inputs = [
    'Dockerfile',
    'package.json',
    'package-lock.json',
    'tsconfig.json',
    'tsconfig.build.json',
    'scripts/image/build.ts',
    'scripts/image/dockerfile.ts',
  ].map((f) => path.join(repo, f));
  for (const file of [...inputs, ...filesUnder(path.join(repo, 'src'))]) {
    hash.update(`${path.relative(repo, file)}\0`).update(readFileSync(file));
  }
  // The binary and libraries by identity, not content (121 MB): path, size and mtime.
  for (const file of [node, ...libraries]) {
    const s = statSync(file);
    hash.update(`${realpathSync(file)} ${s.size} ${s.mtimeMs}\0`);
  }
  return hash.digest('hex').slice(0, 12);
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function tar(dir: string, file: string): void {
  const run = spawnSync(
    'tar',
    ['-C', dir, '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-cf', file, '.'],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`tar: ${run.stderr}`);
}

/** Writes an OCI image layout with one layer (ROOT) into ARCHIVE, naming it REF. */
function ociArchive(
  root: string,
  work: string,
  ref: string,
  config: Record<string, unknown>,
  archive: string,
): void {
  const layout = path.join(work, 'layout');
  const blobs = path.join(layout, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const blob = (file: string) => {
    const digest = sha256(file);
    const size = statSync(file).size;
    renameSync(file, path.join(blobs, digest));
    return { digest: `sha256:${digest}`, size };
  };
  const json = (name: string, value: unknown) => {
    const file = path.join(work, name);
    writeFileSync(file, JSON.stringify(value));
    return blob(file);
  };
  tar(root, path.join(work, 'layer.tar'));
  const layer = blob(path.join(work, 'layer.tar'));
  const configBlob = json('config.json', {
    architecture: 'amd64',
    os: 'linux',
    config,
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
  });
  const manifest = json('manifest.json', {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...configBlob },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
  });
  writeFileSync(
    path.join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          platform: { architecture: 'amd64', os: 'linux' },
          annotations: {
            'io.containerd.image.name': ref,
            'org.opencontainers.image.ref.name': ref.split(':').at(-1),
          },
        },
      ],
    }),
  );
  writeFileSync(path.join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  tar(layout, archive);
}

export function build(): { archive: string; image: string; cached: boolean } {
  const config = runtimeConfig(readFileSync(path.join(repo, 'Dockerfile'), 'utf8'));
  const steps = plan(config);
  const node = realpathSync(path.join(repo, 'node_modules/node/bin/node'));
  const libraries = nodeLibraries(node);
  const key = cacheKey(node, libraries);
  const version = (JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string })
    .version;
  const image = `${imageRepository}:${version}-${key}`;
  const cache =
    process.env.FURROW_CACHE ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'furrow');
  const out = path.join(cache, 'images', `operator-${key}`);
  const archive = path.join(out, 'operator.tar');
  if (existsSync(archive)) {
    const now = new Date();
    utimesSync(out, now, now);
    return { archive, image, cached: true };
  }
  const work = `${out}.tmp.${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  try {
    const root = path.join(work, 'root');
    const put = (dest: string) => {
      const file = path.join(root, dest);
      mkdirSync(path.dirname(file), { recursive: true });
      return file;
    };
    // The base.
    copyFileSync(node, put(nodePath));
    for (const lib of libraries) copyFileSync(realpathSync(lib), put(lib));
    writeFileSync(put('/etc/passwd'), passwd);
    writeFileSync(put('/etc/group'), group);
    if (existsSync('/etc/ssl/certs/ca-certificates.crt'))
      copyFileSync('/etc/ssl/certs/ca-certificates.crt', put('/etc/ssl/certs/ca-certificates.crt'));
    for (const dir of ['/tmp', '/home/nonroot', config.workdir])
      mkdirSync(put(`${dir}/.`), { recursive: true });
    chmodSync(path.join(root, 'tmp'), 0o1777);
    // The Dockerfile's COPYs.
    for (const step of steps) step.make(put(step.dest), work);
    ociArchive(root, work, image, imageConfig(config), path.join(work, 'operator.tar'));
    mkdirSync(out, { recursive: true });
    renameSync(path.join(work, 'operator.tar'), archive);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  // Builds of other keys go once unused for a day (another checkout may be importing one).
  for (const entry of readdirSync(path.dirname(out))) {
    const dir = path.join(path.dirname(out), entry);
    if (entry.startsWith('operator-') && dir !== out && Date.now() - statSync(dir).mtimeMs > 86_400_000)
      rmSync(dir, { recursive: true, force: true });
  }
  return { archive, image, cached: false };
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const result = build();
  process.stderr.write(
    `operator image ${result.image}: ${result.cached ? 'cached' : 'built'} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  process.stdout.write(`${JSON.stringify({ archive: result.archive, image: result.image })}\n`);
}

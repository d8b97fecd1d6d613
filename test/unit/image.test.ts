// The container image, checked without a Docker engine: the Dockerfile is parsed, every file it
// copies from the build context must exist and get past .dockerignore, the base images are
// Node 24, the runtime user is not root, and the entry point is what `npm run build` produces
// and runs with production dependencies only. (`make lint` runs hadolint on it as well.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { repoRoot } from '../support/paths.ts';
import { copies, parseDockerfile, stages, type Stage } from '../../scripts/image/dockerfile.ts';

/**
 * Whether .dockerignore leaves `file` (relative, with /) out of the build context: the last
 * pattern that matches the file or one of its parent directories decides, `!` re-includes.
 * Patterns use * (within a path segment), ? and ** (any number of segments), as Docker's do.
 */
function ignored(patterns: string[], file: string): boolean {
  const toRegExp = (pattern: string) =>
    new RegExp(
      `^${pattern
        .split('/')
        .map((segment) =>
          segment === '**'
            ? '.*'
            : segment
                .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                .replace(/\*/g, '[^/]*')
                .replace(/\?/g, '[^/]'),
        )
        .join('/')
        .replace(/\.\*\//g, '(.*/)?')}$`,
    );
  const parts = file.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let excluded = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = path.posix.normalize((negated ? raw.slice(1) : raw).trim()).replace(/^\/|\/$/g, '');
    const re = toRegExp(pattern);
    if (candidates.some((c) => re.test(c))) excluded = !negated;
  }
  return excluded;
}

function filesUnder(dir: string): string[] {
  return readdirSync(path.join(repoRoot, dir), { recursive: true, encoding: 'utf8' })
    .map((f) => path.posix.join(dir, f.split(path.sep).join('/')))
    .filter((f) => statSync(path.join(repoRoot, f)).isFile());
}

const dockerfile = parseDockerfile(readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8'));
const allStages = stages(dockerfile);
const runtime = allStages.at(-1) as Stage;
const dockerignore = readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

test('the .dockerignore matcher follows Docker’s rules', () => {
  assert.ok(ignored(['*'], 'node_modules/x/index.js'));
  assert.ok(!ignored(['*', '!src/'], 'src/kube/client.ts'));
  assert.ok(ignored(['*', '!src/', 'src/**/*.test.ts'], 'src/a/b.test.ts'));
  assert.ok(!ignored(['**/*.md', '!README.md'], 'README.md'));
  assert.ok(ignored(['**/*.md'], 'docs/adr/x.md'));
});

describe('Dockerfile', () => {
  test('multi-stage: build and dependency stages on Node 24, the version the project tests with', () => {
    assert.ok(allStages.length >= 2, 'a build stage and a runtime stage');
    const nodeVersion = pkg.devDependencies.node;
    for (const stage of allStages.slice(0, -1)) {
      assert.match(
        stage.base,
        /^node:24\.\d+\.\d+-[a-z]+-slim$/,
        `${stage.name ?? '?'}: node:24.x.y-<debian>-slim`,
      );
      assert.equal(
        stage.base.split(':')[1]?.split('-')[0],
        nodeVersion,
        'NODE_VERSION = the node devDependency',
      );
    }
  });

  test('the runtime is distroless Node 24, without a shell or npm, as a non-root user', () => {
    assert.match(runtime.base, /^gcr\.io\/distroless\/nodejs24-debian\d+:nonroot$/);
    const users = runtime.instructions.filter((i) => i.keyword === 'USER');
    assert.equal(users.length, 1, 'one USER in the runtime stage');
    const [user = '', group] = (users[0]?.args ?? '').split(':');
    assert.match(user, /^\d+$/, 'a numeric user, so runAsNonRoot can verify it');
    assert.notEqual(Number(user), 0);
    if (group !== undefined) assert.notEqual(Number(group), 0);
    assert.ok(
      !runtime.instructions.some((i) => i.keyword === 'RUN'),
      'the runtime stage runs nothing (it has no shell)',
    );
    // The chart's podSecurityContext runs the image as this user.
    const values = readFileSync(path.join(repoRoot, 'helm/furrow/values.yaml'), 'utf8');
    assert.match(values, new RegExp(`runAsUser: ${user}\\n`));
  });

  test('the build installs everything and compiles; the runtime gets production dependencies only', () => {
    const runs = (name: string) =>
      allStages
        .find((s) => s.name === name)
        ?.instructions.filter((i) => i.keyword === 'RUN')
        .map((i) => i.args) ?? [];
    assert.ok(
      runs('build').some((r) => /^npm ci\b/.test(r) && !r.includes('--omit=dev')),
      'npm ci in the build stage',
    );
    assert.ok(runs('build').includes('npm run build'), 'npm run build in the build stage');
    assert.ok(
      runs('deps').some((r) => /^npm ci\b.*--omit=dev/.test(r)),
      'npm ci --omit=dev for the runtime',
    );
  });

  test('the runtime holds only dist/, node_modules/ and package.json', () => {
    const copied = copies(runtime).map((c) => ({
      from: c.from,
      what: c.sources.join(' '),
      to: path.posix.join('/app', c.destination).replace(/\/$/, ''),
    }));
    assert.deepEqual(copied, [
      { from: 'deps', what: '/app/node_modules', to: '/app/node_modules' },
      { from: 'build', what: '/src/dist', to: '/app/dist' },
      { from: undefined, what: 'package.json', to: '/app' },
    ]);
    const workdir = runtime.instructions.filter((i) => i.keyword === 'WORKDIR').map((i) => i.args);
    assert.deepEqual(workdir, ['/app']);
  });

  test('every file copied from the build context exists and is not excluded by .dockerignore', () => {
    const sources = allStages
      .flatMap((s) => copies(s).filter((c) => c.from === undefined))
      .flatMap((c) => c.sources);
    assert.ok(sources.length > 0);
    for (const source of sources) {
      const relative = source.replace(/^\.\//, '').replace(/\/$/, '');
      const full = path.join(repoRoot, relative);
      assert.ok(existsSync(full), `COPY ${source}: no such file in the repository`);
      const files = statSync(full).isDirectory() ? filesUnder(relative) : [relative];
      assert.ok(files.length > 0, `COPY ${source}: empty directory`);
      for (const file of files) assert.ok(!ignored(dockerignore, file), `.dockerignore excludes ${file}`);
    }
  });

  test('.dockerignore keeps local state out of the build context', () => {
    for (const file of [
      'node_modules/typescript/package.json',
      'dist/main.js',
      '.git/HEAD',
      '.cluster/kubeconfig',
      'bin/helm',
      'test/unit/image.test.ts',
    ])
      assert.ok(ignored(dockerignore, file), `${file} is sent to the Docker daemon`);
  });

  test('the operator’s ports are exposed', () => {
    const exposed = runtime.instructions
      .filter((i) => i.keyword === 'EXPOSE')
      .flatMap((i) => i.args.split(/\s+/));
    assert.deepEqual(exposed.sort(), ['8080', '8081']);
  });
});

describe('the entry point after `npm run build`', () => {
  let entryPoint = '';
  before(() => {
    const entry = runtime.instructions.filter((i) => i.keyword === 'ENTRYPOINT');
    assert.equal(entry.length, 1);
    const argv = JSON.parse(entry[0]?.args ?? '') as string[];
    assert.equal(argv[0], '/nodejs/bin/node', 'distroless Node’s binary, in exec form');
    const script = argv.at(-1) ?? '';
    assert.match(script, /^dist\/.*\.js$/);
    entryPoint = path.join(repoRoot, script);
    // As the build stage does, from nothing: tsc through tsconfig.build.json into dist/.
    rmSync(path.join(repoRoot, 'dist'), { recursive: true, force: true });
    const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stdout + build.stderr);
  });

  test('exists and runs: --help prints the usage', () => {
    assert.ok(existsSync(entryPoint), `${path.relative(repoRoot, entryPoint)} was not built`);
    const run = spawnSync(process.execPath, ['--enable-source-maps', entryPoint, '--help'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^Usage: furrow-operator/);
    assert.match(run.stdout, /FURROW_LEADER_ELECT/);
  });

  test('imports only Node built-ins and production dependencies', () => {
    const builtins = new Set(builtinModules);
    const production = new Set(Object.keys(pkg.dependencies));
    const bad: string[] = [];
    const seen = new Set<string>();
    for (const file of filesUnder('dist').filter((f) => f.endsWith('.js'))) {
      const code = readFileSync(path.join(repoRoot, file), 'utf8');
      const specifiers = [
        ...code.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm),
        ...code.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm),
        ...code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
      ].map((m) => m[1] ?? '');
      for (const spec of specifiers) {
        if (spec.startsWith('.')) {
          assert.ok(spec.endsWith('.js'), `${file}: ${spec} (relative imports must be rewritten to .js)`);
          assert.ok(existsSync(path.join(repoRoot, path.dirname(file), spec)), `${file}: ${spec} is missing`);
          continue;
        }
        if (spec.startsWith('node:') || builtins.has(spec)) continue;
        const name = spec.startsWith('@')
          ? spec.split('/').slice(0, 2).join('/')
          : (spec.split('/')[0] ?? '');
        seen.add(name);
        if (!production.has(name)) bad.push(`${file}: ${spec}`);
      }
    }
    assert.ok(seen.has('@kubernetes/client-node'), 'the import scan finds package imports');
    assert.deepEqual(bad, [], 'imports of packages that `npm ci --omit=dev` does not install');
  });
});

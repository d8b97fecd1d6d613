// The Docker-less operator image (scripts/image/build.ts, ADR 16) and the Dockerfile's agree:
// same user, entry point, working directory, environment and ports; every COPY of the runtime
// stage has a recipe there, landing where Docker would put it; the files distroless provides
// (Node at the entry point's path, the user in /etc/passwd) are the ones the build writes; and
// the production node_modules are exactly what `npm ci --omit=dev` installs.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runtimeConfig } from '../../scripts/image/dockerfile.ts';
import {
  baseEnv,
  imageConfig,
  nodePath,
  passwd,
  plan,
  productionPackages,
  recipeKey,
} from '../../scripts/image/build.ts';
import { repoRoot } from '../support/paths.ts';

const dockerfileText = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
const config = runtimeConfig(dockerfileText);

test('the image config is the Dockerfile runtime stage’s: user, entry point, working directory, environment, ports', () => {
  assert.deepEqual(imageConfig(config), {
    User: '65532:65532',
    WorkingDir: '/app',
    Env: [...baseEnv, 'NODE_ENV=production', 'MALLOC_ARENA_MAX=2'],
    Entrypoint: [
      nodePath,
      '--max-semi-space-size=2',
      '--optimize-for-size',
      '--enable-source-maps',
      'dist/main.js',
    ],
    ExposedPorts: { '8080/tcp': {}, '8081/tcp': {} },
  });
  // What the build adds for the base is the distroless base's: the Dockerfile names it.
  assert.match(config.base, /^gcr\.io\/distroless\/nodejs24-debian\d+:nonroot$/);
});

test('every COPY of the runtime stage has a recipe, landing where Docker puts it', () => {
  assert.deepEqual(
    plan(config).map((s) => s.dest),
    ['/app/node_modules', '/app/dist', '/app/package.json'],
  );
  const unknown = {
    ...config,
    copies: [...config.copies, { from: undefined, sources: ['README.md'], destination: './' }],
  };
  assert.throws(() => plan(unknown), /COPY README\.md has no recipe/);
  assert.deepEqual(config.copies.map(recipeKey), [
    'deps /app/node_modules',
    'build /src/dist',
    ' package.json',
  ]);
});

test('the base files: the user of USER in /etc/passwd, Node where the entry point runs it', () => {
  const [uid, gid] = config.user.split(':');
  assert.ok(
    passwd.split('\n').some((l) => l.split(':')[2] === uid && l.split(':')[3] === gid),
    `no /etc/passwd entry for ${config.user}`,
  );
  assert.equal(config.entrypoint[0], nodePath);
  // The binary is the npm node package's, the version the project tests with.
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  const dockerNode = /^ARG NODE_VERSION=(\S+)$/m.exec(dockerfileText)?.[1];
  assert.equal(pkg.devDependencies.node, dockerNode);
});

test('node_modules holds exactly the production packages of the lockfile, all present here', () => {
  const lock = JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  const packages = productionPackages();
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  for (const name of Object.keys(pkg.dependencies))
    assert.ok(packages.includes(`node_modules/${name}`), name);
  for (const name of Object.keys(pkg.devDependencies)) {
    if (lock.packages[`node_modules/${name}`]?.dev)
      assert.ok(!packages.includes(`node_modules/${name}`), name);
  }
  for (const p of packages) assert.ok(existsSync(path.join(repoRoot, p)), `${p} is not installed`);
});

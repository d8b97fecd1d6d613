// Golden files: a test compares what it produced with a file under test/golden/. With
// UPDATE_GOLDEN=1 the test rewrites the file instead of comparing; review the diff and commit.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './paths.ts';

export const goldenDir = path.join(repoRoot, 'test', 'golden');
export const updatingGolden = process.env.UPDATE_GOLDEN === '1';

/** Asserts `actual` equals test/golden/<name>, or writes it there under UPDATE_GOLDEN=1. */
export function assertGolden(name: string, actual: string): void {
  const file = path.join(goldenDir, name);
  if (updatingGolden) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  const hint = `run \`UPDATE_GOLDEN=1 make test-unit\` and review the diff of test/golden/${name}`;
  assert.ok(existsSync(file), `test/golden/${name} does not exist: ${hint}`);
  // assert.equal on strings shows a line diff when they differ.
  assert.equal(actual, readFileSync(file, 'utf8'), `differs from test/golden/${name}: ${hint}`);
}

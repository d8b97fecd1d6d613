// The invalid manifests of test/fixtures/invalid/ and the examples of examples/, read once
// for the unit tests (ajv) and the end-to-end tests (the API server) alike.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import { repoRoot } from './paths.ts';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: unknown;
  status?: unknown;
}

export interface InvalidFixture {
  file: string;
  /** The mistake, in words: the first comment line. */
  mistake: string;
  /** The field path the refusal must name. */
  expect: string;
  /** "status" when the mistake is in the status, sent through the status subresource. */
  subresource?: 'status';
  /** The HTTP status the API server refuses with (422 unless the header says otherwise). */
  httpStatus: number;
  /** Why ajv can't catch this one, if it can't. */
  ajvSkip?: string;
  manifest: Manifest;
}

const invalidDir = path.join(repoRoot, 'test', 'fixtures', 'invalid');
export const examplesDir = path.join(repoRoot, 'examples');

function header(text: string, key: string): string | undefined {
  const match = new RegExp(`^# ${key}: (.*)$`, 'mu').exec(text);
  return match?.[1]?.trim();
}

function parseFixture(file: string): InvalidFixture {
  const text = readFileSync(path.join(invalidDir, file), 'utf8');
  const expect = header(text, 'expect');
  if (expect === undefined) throw new Error(`${file}: no "# expect:" line`);
  const subresource = header(text, 'subresource');
  if (subresource !== undefined && subresource !== 'status') {
    throw new Error(`${file}: unknown subresource ${subresource}`);
  }
  return {
    file,
    mistake: (/^# (.*)$/mu.exec(text)?.[1] ?? '').trim(),
    expect,
    ...(subresource === 'status' ? { subresource } : {}),
    httpStatus: Number(header(text, 'http') ?? 422),
    ...(header(text, 'ajv') !== undefined ? { ajvSkip: header(text, 'ajv') } : {}),
    manifest: load(text) as Manifest,
  };
}

export function invalidFixtures(): InvalidFixture[] {
  return readdirSync(invalidDir)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map(parseFixture);
}

export interface Example {
  file: string;
  manifest: Manifest;
}

export function examples(): Example[] {
  return readdirSync(examplesDir)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => ({
      file,
      manifest: load(readFileSync(path.join(examplesDir, file), 'utf8')) as Manifest,
    }));
}

/** Whether a field path is `expect` or inside it: spec.steps[0].name is below spec.steps. */
export function isAtOrBelow(path: string, expect: string): boolean {
  return path === expect || path.startsWith(`${expect}.`) || path.startsWith(`${expect}[`);
}

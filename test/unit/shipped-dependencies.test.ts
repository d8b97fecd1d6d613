// The npm packages the image ships (package-lock.json entries not marked dev: what
// `npm ci --omit=dev` installs) stay out of the vulnerable ranges of the high and critical
// advisories known to affect them. `npm audit` is the real check (scripts/audit.sh); where its
// endpoint is unreachable (it was on the development machines: POST .../advisories/bulk gets
// 405), this table, reviewed against the GitHub Advisory Database on 2026-11-27, is what keeps
// a lockfile from sliding back into a known hole. It can't know advisories published since.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../support/paths.ts';

interface Advisory {
  id: string;
  severity: 'high' | 'critical' | 'malware';
  /** Vulnerable when introduced <= version < fixed (for each range). */
  ranges: { introduced: string; fixed: string }[];
}

const advisories: Record<string, Advisory[]> = {
  ws: [
    {
      id: 'GHSA-3h5v-q93c-6h6q (CVE-2024-37890), DoS by many headers',
      severity: 'high',
      ranges: [
        { introduced: '2.1.0', fixed: '5.2.4' },
        { introduced: '6.0.0', fixed: '6.2.3' },
        { introduced: '7.0.0', fixed: '7.5.10' },
        { introduced: '8.0.0', fixed: '8.17.1' },
      ],
    },
  ],
  'form-data': [
    {
      id: 'GHSA-fjxv-7rqg-78g4 (CVE-2025-7783), predictable multipart boundary',
      severity: 'critical',
      ranges: [
        { introduced: '0.0.0', fixed: '2.5.4' },
        { introduced: '3.0.0', fixed: '3.0.4' },
        { introduced: '4.0.0', fixed: '4.0.4' },
      ],
    },
  ],
  'tar-fs': [
    {
      id: 'CVE-2024-12905, link following and path traversal',
      severity: 'high',
      ranges: [{ introduced: '3.0.0', fixed: '3.0.7' }],
    },
    {
      id: 'CVE-2025-48387, writes outside the extraction directory',
      severity: 'high',
      ranges: [{ introduced: '3.0.0', fixed: '3.0.9' }],
    },
    {
      id: 'GHSA-vj76-c3g6-qr5v (CVE-2025-59343), symlink validation bypass',
      severity: 'high',
      ranges: [
        { introduced: '0.0.0', fixed: '1.16.6' },
        { introduced: '2.0.0', fixed: '2.1.4' },
        { introduced: '3.0.0', fixed: '3.1.1' },
      ],
    },
  ],
  'jsonpath-plus': [
    {
      id: 'GHSA-pppg-cpfq-h7wr (CVE-2024-21534), remote code execution',
      severity: 'critical',
      ranges: [{ introduced: '0.0.0', fixed: '10.2.0' }],
    },
    {
      id: 'CVE-2025-1302, remote code execution (incomplete fix of CVE-2024-21534)',
      severity: 'critical',
      ranges: [{ introduced: '0.0.0', fixed: '10.3.0' }],
    },
  ],
  // The 2025-09-08 compromise of maintainer accounts: single malicious versions.
  debug: [
    {
      id: 'GHSA-8mgj-vmr8-frr6, malware',
      severity: 'malware',
      ranges: [{ introduced: '4.4.2', fixed: '4.4.3' }],
    },
  ],
  'color-convert': [
    {
      id: 'GHSA-ch7m-m9rf-8gvv, malware',
      severity: 'malware',
      ranges: [{ introduced: '3.1.1', fixed: '3.1.2' }],
    },
  ],
  'color-name': [
    {
      id: 'GHSA-m99c-cfww-cxqx, malware',
      severity: 'malware',
      ranges: [{ introduced: '2.0.1', fixed: '2.0.2' }],
    },
  ],
  'color-string': [
    {
      id: '2025-09-08 compromise, malware',
      severity: 'malware',
      ranges: [{ introduced: '2.1.1', fixed: '2.1.2' }],
    },
  ],
  color: [
    {
      id: '2025-09-08 compromise, malware',
      severity: 'malware',
      ranges: [{ introduced: '5.0.1', fixed: '5.0.2' }],
    },
  ],
};

function compare(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number(x) || 0);
  const pb = b.split(/[.-]/).map((x) => Number(x) || 0);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** name → versions the image installs (from package-lock.json, dev entries left out). */
function shipped(): Map<string, Set<string>> {
  const lock = JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string; dev?: boolean; devOptional?: boolean }>;
  };
  const out = new Map<string, Set<string>>();
  for (const [where, entry] of Object.entries(lock.packages)) {
    if (!where || entry.dev || entry.devOptional || !entry.version) continue;
    const name = where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length);
    out.set(name, (out.get(name) ?? new Set<string>()).add(entry.version));
  }
  return out;
}

test('the image ships its runtime dependencies only', () => {
  const names = shipped();
  for (const dev of ['typescript', 'eslint', 'prettier', 'node', '@eslint/js', 'typescript-eslint'])
    assert.equal(names.has(dev), false, `${dev} is a devDependency`);
  for (const runtime of ['@kubernetes/client-node', 'undici', 'ajv', 'winston', 'prom-client'])
    assert.ok(names.has(runtime), `${runtime} ships`);
});

test('no shipped package is in the vulnerable range of a known high or critical advisory', () => {
  const names = shipped();
  const hits: string[] = [];
  for (const [name, list] of Object.entries(advisories)) {
    for (const version of names.get(name) ?? []) {
      for (const advisory of list) {
        if (advisory.ranges.some((r) => compare(version, r.introduced) >= 0 && compare(version, r.fixed) < 0))
          hits.push(`${name}@${version}: ${advisory.severity} ${advisory.id}`);
      }
    }
  }
  assert.deepEqual(hits, []);
});

// test/kind can't run here (no Docker), so its cluster config is checked against kind's
// v1alpha4 Cluster schema (the fields kind accepts, as its Go types define them).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import { load } from 'js-yaml';
import { repoRoot } from '../support/paths.ts';

const kindClusterSchema = {
  type: 'object',
  required: ['kind', 'apiVersion'],
  additionalProperties: false,
  properties: {
    kind: { const: 'Cluster' },
    apiVersion: { const: 'kind.x-k8s.io/v1alpha4' },
    name: { type: 'string' },
    featureGates: { type: 'object' },
    runtimeConfig: { type: 'object' },
    networking: { type: 'object' },
    containerdConfigPatches: { type: 'array' },
    kubeadmConfigPatches: { type: 'array' },
    nodes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['role'],
        additionalProperties: false,
        properties: {
          role: { enum: ['control-plane', 'worker'] },
          image: { type: 'string' },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          extraMounts: { type: 'array' },
          extraPortMappings: { type: 'array' },
          kubeadmConfigPatches: { type: 'array' },
        },
      },
    },
  },
};

test('test/kind/kind-config.yaml is a valid kind Cluster with the local cluster’s node classes', () => {
  const config = load(readFileSync(path.join(repoRoot, 'test/kind/kind-config.yaml'), 'utf8')) as {
    nodes: { role: string; labels?: Record<string, string> }[];
  };
  const validate = new Ajv({ allErrors: true }).compile(kindClusterSchema);
  assert.ok(validate(config), JSON.stringify(validate.errors));
  const classes = config.nodes.map((n) => n.labels?.['furrow.dev/class'] ?? n.role);
  assert.deepEqual(classes, ['control-plane', 'patrician', 'peasant', 'peasant']);
});

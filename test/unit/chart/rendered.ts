// What the chart tests share: the chart rendered once per variant (default values and each
// test/fixtures/chart/<variant>.yaml), and the operator's Deployment, container and env in it.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { helmTemplate, only, parseManifest, type KubeObject } from '../../support/helm.ts';
import { repoRoot } from '../../support/paths.ts';
export const fixtures = path.join(repoRoot, 'test', 'fixtures', 'chart');
export const variants = [
  'default',
  ...readdirSync(fixtures)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort(),
];

// Fixed furrow-api certificates first (a variant may override them): generated ones would
// change every golden file on every render.
const apiTls = ['--values', path.join(repoRoot, 'test', 'fixtures', 'chart-api-tls.values.yaml')];
export const valuesArgs = (variant: string) =>
  variant === 'default' ? apiTls : [...apiTls, '--values', path.join(fixtures, `${variant}.yaml`)];

const rendered = new Map<string, KubeObject[]>();
export function objects(variant: string): KubeObject[] {
  let found = rendered.get(variant);
  if (!found) {
    found = parseManifest(helmTemplate(valuesArgs(variant)));
    rendered.set(variant, found);
  }
  return found;
}

export interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } };
  }[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext: Record<string, unknown>;
}
export interface PodSpec {
  serviceAccountName: string;
  securityContext: Record<string, unknown>;
  containers: Container[];
}
export interface DeploymentSpec {
  replicas: number;
  strategy: { type: string };
  template: { spec: PodSpec };
}

export const deployment = (variant: string) =>
  only(objects(variant), 'Deployment', 'furrow') as KubeObject & { spec: DeploymentSpec };
export const operatorContainer = (variant: string): Container => {
  const containers = deployment(variant).spec.template.spec.containers;
  assert.equal(containers.length, 1);
  return containers[0] as Container;
};
export const env = (variant: string): Record<string, string> =>
  Object.fromEntries(
    (operatorContainer(variant).env ?? []).flatMap((e) => (e.value !== undefined ? [[e.name, e.value]] : [])),
  );

// docs/reference.md, rendered from the schema: every field of both kinds with its type, default
// and description (the same descriptions `kubectl explain` shows), and the cross-field rules.
// `make crds` writes it; a unit test fails when it is stale.
import type { TSchema } from '@sinclair/typebox';
import { group, nodePoolNames, pipelineRunNames, version, type KindNames } from '../names.ts';
import type { CelRule } from './rules.ts';
import type { PrinterColumn } from './crd.ts';
import { kinds } from './crds.ts';
import * as patterns from './patterns.ts';

export const referencePath = 'docs/reference.md';

interface Node {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  properties?: Record<string, Node>;
  required?: string[];
  items?: Node;
  additionalProperties?: Node | boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-validations'?: CelRule<never>[];
}

interface Row {
  path: string;
  type: string;
  default: string;
  description: string;
}

function range(min: number | undefined, max: number | undefined, unit: string): string {
  if (min !== undefined && max !== undefined) return `, ${min}–${max}${unit}`;
  if (max !== undefined) return `, ≤ ${max}${unit}`;
  if (min !== undefined) return min === 1 && unit ? ', non-empty' : `, ≥ ${min}${unit}`;
  return '';
}

// Strings whose pattern is a kind of Kubernetes name are shown as that kind.
const patternNames = new Map([
  [patterns.dnsLabel, 'string (DNS label)'],
  [patterns.dnsSubdomain, 'string (DNS subdomain)'],
  [patterns.qualifiedName, 'string (qualified name)'],
  [patterns.labelValue, 'string (label value)'],
]);

function mapValues(node: Node): Node | undefined {
  return typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined;
}

/** The type as a user writes it, with its limits: "integer (int32), 0–10", "[]object, ≤ 16 items". */
function typeOf(node: Node): string {
  if (node['x-kubernetes-int-or-string']) return 'quantity (integer or string)';
  if (node.enum) return node.enum.map((v) => `\`${String(v)}\``).join(', ');
  switch (node.type) {
    case 'string': {
      if (node.format === 'date-time') return 'timestamp';
      if (node.pattern === patterns.goDuration) return 'duration';
      const named = node.pattern === undefined ? undefined : patternNames.get(node.pattern);
      return (named ?? 'string') + range(node.minLength, node.maxLength, ' chars');
    }
    case 'integer':
      return `integer${node.format ? ` (${node.format})` : ''}${range(node.minimum, node.maximum, '')}`;
    case 'array':
      return `[]${node.items ? (typeOf(node.items).split(',')[0] ?? '') : ''}${range(node.minItems, node.maxItems, ' items')}`;
    case 'object': {
      const values = mapValues(node);
      if (values)
        return `map[string]${typeOf(values).split(',')[0] ?? ''}${range(undefined, node.maxProperties, ' entries')}`;
      return 'object';
    }
    default:
      return node.type ?? '';
  }
}

/** Table cells hold one line, and a | would end the cell. */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
}

function rows(node: Node, path: string, required: boolean, out: Row[]): void {
  const rules = (node['x-kubernetes-validations'] ?? []).map((r) => ` Validation: ${r.message}.`).join('');
  out.push({
    path,
    type: typeOf(node),
    default: node.default === undefined ? '' : `\`${JSON.stringify(node.default)}\``,
    description: `${required ? '**Required.** ' : ''}${node.description ?? ''}${rules}`,
  });
  const children = node.type === 'array' ? node.items : (mapValues(node) ?? node);
  const childPath = node.type === 'array' ? `${path}[]` : mapValues(node) ? `${path}.<key>` : path;
  // Properties in the order the schema declares them: the order a manifest is written in.
  for (const [name, child] of Object.entries(children?.properties ?? {})) {
    rows(child, `${childPath}.${name}`, children?.required?.includes(name) ?? false, out);
  }
}

function table(root: Node, field: 'spec' | 'status'): string {
  const node = root.properties?.[field];
  if (!node) return '';
  const out: Row[] = [];
  rows(node, field, root.required?.includes(field) ?? false, out);
  return [
    '| Field | Type | Default | Description |',
    '| --- | --- | --- | --- |',
    ...out.map((r) => `| \`${r.path}\` | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.description)} |`),
  ].join('\n');
}

function columns(printerColumns: PrinterColumn[]): string {
  return [
    '| Column | Field | Description |',
    '| --- | --- | --- |',
    ...printerColumns.map(
      (c) =>
        `| ${c.name.toUpperCase()}${c.priority ? ' (`-o wide`)' : ''} | \`${c.jsonPath}\` | ${cell(c.description ?? '')} |`,
    ),
  ].join('\n');
}

function section(names: KindNames, schema: TSchema, printerColumns: PrinterColumn[]): string {
  const root = schema as Node;
  const scope = names.scope === 'Namespaced' ? 'namespaced' : 'cluster-scoped';
  return [
    `## ${names.kind}`,
    '',
    `\`apiVersion: ${group}/${version}\`, ${scope}; \`kubectl get ${names.plural}\` (short: ${names.shortNames.map((s) => `\`${s}\``).join(', ')}).`,
    '',
    cell(root.description ?? ''),
    '',
    `### \`kubectl get ${names.plural}\``,
    '',
    columns(printerColumns),
    '',
    '### Spec',
    '',
    table(root, 'spec'),
    '',
    '### Status',
    '',
    table(root, 'status'),
    '',
  ].join('\n');
}

export function renderReference(): string {
  const order = [pipelineRunNames.kind, nodePoolNames.kind];
  const sorted = [...kinds].sort((a, b) => order.indexOf(a.names.kind) - order.indexOf(b.names.kind));
  return [
    '<!-- Generated by `make crds` from src/resources/schema/ (reference.ts). Edit the schema, not this file. -->',
    '# Field reference',
    '',
    `Every field of Furrow's two kinds, from the schema the CRDs are generated from: the same`,
    'descriptions as `kubectl explain pipelinerun.spec --recursive`. A list of objects is written',
    '`field[]`, a map `field.<key>`. The API server checks types, limits and validations when an',
    'object is created or changed, and refuses it naming the field.',
    '',
    ...sorted.map((k) => section(k.names, k.schema, k.printerColumns)),
  ].join('\n');
}

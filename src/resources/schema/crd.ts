// Turns a TypeBox schema into a CustomResourceDefinition: keeps what apiextensions.k8s.io/v1
// accepts, leaves out what is TypeBox's or ajv's alone, and reduces each rule to its CEL.
import type { TSchema } from '@sinclair/typebox';
import { category, group, version, type KindNames } from '../names.ts';
import type { CelRule } from './rules.ts';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  /** 1 shows the column only with `-o wide`. */
  priority?: number;
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = Record<string, Json>;

// JSONSchemaProps as apiextensions.k8s.io/v1 defines it (plus the x-kubernetes-* extensions).
const crdKeywords = new Set([
  'description',
  'type',
  'format',
  'title',
  'default',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'multipleOf',
  'enum',
  'maxProperties',
  'minProperties',
  'required',
  'items',
  'allOf',
  'oneOf',
  'anyOf',
  'not',
  'properties',
  'additionalProperties',
  'nullable',
  'example',
]);

const schemaValued = new Set(['items', 'additionalProperties', 'not']);
const schemaListValued = new Set(['allOf', 'oneOf', 'anyOf']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Plain JSON: drops TypeBox's symbol keys and anything else JSON can't say. */
function plain(value: unknown): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

function celOnly(rule: CelRule<never>): JsonObject {
  const out: JsonObject = { rule: rule.rule, message: rule.message };
  if (rule.messageExpression !== undefined) out.messageExpression = rule.messageExpression;
  if (rule.fieldPath !== undefined) out.fieldPath = rule.fieldPath;
  if (rule.reason !== undefined) out.reason = rule.reason;
  return out;
}

/**
 * The OpenAPI v3 schema of a CRD version for `schema`. Keys are sorted, so the output is stable
 * whatever order the TypeBox code builds nodes in. Throws on a keyword a CRD would refuse.
 */
export function structuralSchema(schema: TSchema, at = '<root>'): JsonObject {
  const node = schema as Record<string, unknown>;
  const out: JsonObject = {};
  for (const key of Object.keys(node).sort()) {
    const value = node[key];
    // Unknown fields are the API server's to prune (or, with strict field validation, refuse);
    // `additionalProperties: false` is for the operator's validator and not structural.
    if (key === 'additionalProperties' && value === false) continue;
    if (!crdKeywords.has(key) && !key.startsWith('x-kubernetes-')) {
      throw new Error(`${at}: "${key}" is not a keyword a CRD schema accepts`);
    }
    if (key === 'properties' && isRecord(value)) {
      const properties: JsonObject = {};
      for (const name of Object.keys(value).sort()) {
        properties[name] = structuralSchema(value[name] as TSchema, `${at}.${name}`);
      }
      out[key] = properties;
    } else if (schemaValued.has(key) && isRecord(value)) {
      out[key] = structuralSchema(value as TSchema, `${at}.${key}`);
    } else if (schemaListValued.has(key) && Array.isArray(value)) {
      out[key] = value.map((branch, i) => structuralSchema(branch as TSchema, `${at}.${key}[${i}]`));
    } else if (key === 'x-kubernetes-validations' && Array.isArray(value)) {
      out[key] = (value as CelRule<never>[]).map(celOnly);
    } else {
      out[key] = plain(value);
    }
  }
  return out;
}

export interface KindDefinition {
  names: KindNames;
  schema: TSchema;
  printerColumns: PrinterColumn[];
}

export function customResourceDefinition({ names, schema, printerColumns }: KindDefinition): JsonObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${names.plural}.${group}` },
    spec: {
      group,
      names: {
        categories: [category],
        kind: names.kind,
        listKind: names.listKind,
        plural: names.plural,
        shortNames: names.shortNames,
        singular: names.singular,
      },
      scope: names.scope,
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: plain(printerColumns),
          schema: { openAPIV3Schema: structuralSchema(schema) },
        },
      ],
    },
  };
}

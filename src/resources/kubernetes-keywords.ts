// Ajv keywords for the x-kubernetes-* extensions in the schema, so that the operator's
// validator refuses what the API server refuses, at the same field paths.
import type { ErrorObject, FuncKeywordDefinition, KeywordDefinition } from 'ajv';
import type { CelRule } from './schema/rules.ts';

type KeywordError = Partial<ErrorObject> & { instancePath: string; message: string };
// What ajv passes a compiled keyword besides the data (ajv's own type for it isn't exported).
type Validator = ((data: unknown, cxt?: { instancePath: string }) => boolean) & { errors?: KeywordError[] };

/** A CEL fieldPath (".metadata.name") as a JSON pointer suffix ("/metadata/name"). */
function pointerOf(fieldPath: string | undefined): string {
  if (fieldPath === undefined) return '';
  if (!/^(\.[A-Za-z_][A-Za-z0-9_]*)+$/u.test(fieldPath)) {
    throw new Error(`fieldPath ${fieldPath}: only dotted field names are supported`);
  }
  return fieldPath.replaceAll('.', '/');
}

function assertHasTwin(rule: CelRule<never>): void {
  if (typeof rule.check !== 'function') {
    throw new Error(`CEL rule "${rule.rule}" has no JavaScript check`);
  }
  if (rule.messageExpression !== undefined && typeof rule.explain !== 'function') {
    throw new Error(`CEL rule "${rule.rule}" has a messageExpression but no JavaScript explain`);
  }
}

/** Runs the JavaScript twin of every CEL rule attached to a schema node. */
const validations: FuncKeywordDefinition = {
  keyword: 'x-kubernetes-validations',
  schemaType: 'array',
  errors: true,
  compile(rules: CelRule<never>[]) {
    rules.forEach(assertHasTwin);
    const pointers = rules.map((rule) => pointerOf(rule.fieldPath));
    const validate: Validator = (data, cxt) => {
      const errors: KeywordError[] = [];
      rules.forEach((rule, i) => {
        let valid: boolean;
        try {
          valid = rule.check(data as never);
        } catch {
          // The node doesn't have the shape the rule reads (a string where a list belongs):
          // the schema's own keywords report that, and the API server's CEL would not run.
          return;
        }
        if (valid) return;
        errors.push({
          keyword: 'x-kubernetes-validations',
          instancePath: `${cxt?.instancePath ?? ''}${pointers[i] ?? ''}`,
          message: rule.explain ? rule.explain(data as never) : rule.message,
          params: { rule: rule.rule, reason: rule.reason ?? 'FieldValueInvalid' },
        });
      });
      validate.errors = errors;
      return errors.length === 0;
    };
    return validate;
  },
};

/**
 * Lists of type "map" have unique keys and "set" unique items; the API server reports the
 * second of two at its index (spec.steps[2]: Duplicate value).
 */
const listType: FuncKeywordDefinition = {
  keyword: 'x-kubernetes-list-type',
  type: 'array',
  schemaType: 'string',
  errors: true,
  compile(type: string, parentSchema) {
    const keys = parentSchema['x-kubernetes-list-map-keys'] as string[] | undefined;
    if (type === 'map' && (keys === undefined || keys.length === 0)) {
      throw new Error('x-kubernetes-list-type map needs x-kubernetes-list-map-keys');
    }
    const identity = (item: unknown): string => {
      if (type === 'set' || typeof item !== 'object' || item === null) return JSON.stringify(item);
      const record = item as Record<string, unknown>;
      return JSON.stringify(Object.fromEntries((keys ?? []).map((key) => [key, record[key]])));
    };
    const validate: Validator = (data, cxt) => {
      if (type === 'atomic' || !Array.isArray(data)) return true;
      const seen = new Set<string>();
      const errors: KeywordError[] = [];
      data.forEach((item, i) => {
        const id = identity(item);
        if (seen.has(id)) {
          errors.push({
            keyword: 'x-kubernetes-list-type',
            instancePath: `${cxt?.instancePath ?? ''}/${i}`,
            message: `Duplicate value: ${id}`,
            params: { listType: type },
          });
        }
        seen.add(id);
      });
      validate.errors = errors;
      return errors.length === 0;
    };
    return validate;
  },
};

// Extensions that only annotate (or, like int-or-string, are expressed by other keywords too).
const annotations: KeywordDefinition[] = [
  'x-kubernetes-list-map-keys',
  'x-kubernetes-int-or-string',
  'x-kubernetes-map-type',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
].map((keyword) => ({ keyword }));

export const kubernetesKeywords: KeywordDefinition[] = [validations, listType, ...annotations];

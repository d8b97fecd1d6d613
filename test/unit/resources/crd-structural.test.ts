// The generated CRDs are structural (the API server's own rule, checked here before it is
// asked) and document every field, which is what `kubectl explain` shows users.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { customResourceDefinition, structuralSchema, type Json } from '../../../src/resources/schema/crd.ts';
import { kinds } from '../../../src/resources/schema/crds.ts';

type Node = Record<string, Json>;

interface Finding {
  at: string;
  problem: string;
}

const isNode = (value: Json | undefined): value is Node =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isIntOrString = (node: Node): boolean => node['x-kubernetes-int-or-string'] === true;

/** Walks a schema, collecting what makes it non-structural or undocumented. */
function inspect(node: Node, at: string, isProperty: boolean, findings: Finding[]): void {
  if (node.type === undefined && !isIntOrString(node)) findings.push({ at, problem: 'no type' });
  if (isProperty && (typeof node.description !== 'string' || node.description.trim() === '')) {
    findings.push({ at, problem: 'no description' });
  }
  if (node.properties !== undefined && node.additionalProperties !== undefined) {
    findings.push({ at, problem: 'both properties and additionalProperties' });
  }
  for (const junctor of ['anyOf', 'allOf', 'oneOf', 'not']) {
    if (node[junctor] === undefined) continue;
    const intOrString =
      junctor === 'anyOf' &&
      isIntOrString(node) &&
      JSON.stringify(node.anyOf) === JSON.stringify([{ type: 'integer' }, { type: 'string' }]);
    if (!intOrString) findings.push({ at, problem: `${junctor} outside the int-or-string form` });
  }
  if (isNode(node.properties)) {
    for (const [name, child] of Object.entries(node.properties)) {
      if (isNode(child)) inspect(child, `${at}.${name}`, true, findings);
    }
  }
  if (isNode(node.items)) inspect(node.items, `${at}[]`, false, findings);
  if (isNode(node.additionalProperties)) inspect(node.additionalProperties, `${at}{}`, false, findings);
}

function openApiSchema(crd: Node): Node {
  const spec = crd.spec as Node;
  const versions = spec.versions as Node[];
  return ((versions[0] as Node).schema as Node).openAPIV3Schema as Node;
}

for (const kind of kinds) {
  test(`the ${kind.names.kind} CRD is structural and describes every field`, () => {
    const schema = openApiSchema(customResourceDefinition(kind));
    const findings: Finding[] = [];
    // metadata may say nothing but name's type (not even a description): the one exemption.
    const { metadata, ...rest } = schema.properties as Node;
    assert.deepEqual(metadata, { properties: { name: { type: 'string' } }, type: 'object' });
    inspect({ ...schema, properties: rest }, kind.names.kind, true, findings);
    assert.deepEqual(findings, []);
  });

  test(`the ${kind.names.kind} CRD carries only CEL, never the JavaScript twins`, () => {
    const text = JSON.stringify(customResourceDefinition(kind));
    assert.ok(!text.includes('"check"') && !text.includes('"explain"'));
    assert.ok(text.includes('x-kubernetes-validations'));
  });
}

test('the inspection finds what it looks for', () => {
  const findings: Finding[] = [];
  inspect(
    {
      type: 'object',
      properties: {
        untyped: { description: 'x' },
        undocumented: { type: 'string' },
        both: { type: 'object', description: 'x', properties: {}, additionalProperties: { type: 'string' } },
        union: { description: 'x', anyOf: [{ type: 'string' }, { type: 'boolean' }] },
      },
    },
    'X',
    false,
    findings,
  );
  assert.deepEqual(
    findings.map((f) => `${f.at}: ${f.problem}`),
    [
      'X.untyped: no type',
      'X.undocumented: no description',
      'X.both: both properties and additionalProperties',
      'X.union: no type',
      'X.union: anyOf outside the int-or-string form',
    ],
  );
});

test('a keyword a CRD would refuse is an error, not silently dropped', () => {
  assert.throws(
    () => structuralSchema({ type: 'object', $id: 'Step', properties: {} } as never),
    /"\$id" is not a keyword a CRD schema accepts/,
  );
});

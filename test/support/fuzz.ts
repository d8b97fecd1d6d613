// Seeded mutations of JSON documents for the fuzz test: wrong types, missing fields, huge values,
// odd unicode, deep nesting, megabyte scripts, duplicates, unknown fields. Each mutation says
// in words what it did, so a failure names the input.
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

export interface Mutation {
  doc: Json;
  what: string[];
}

const pick = <T>(random: () => number, list: readonly T[]): T =>
  list[Math.floor(random() * list.length)] as T;

export function pathText(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Every path to a value in the document (the root excluded), down to 30 levels. */
function paths(doc: Json, prefix: Path = []): Path[] {
  if (doc === null || typeof doc !== 'object' || prefix.length >= 30) return [];
  const entries: [string | number, Json][] = Array.isArray(doc)
    ? doc.map((v, i) => [i, v])
    : Object.entries(doc);
  return entries.flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
}

function parentOf(doc: Json, path: Path): Json {
  let node = doc;
  for (const p of path.slice(0, -1)) node = (node as Record<string | number, Json>)[p] as Json;
  return node;
}

function setAt(doc: Json, path: Path, value: Json | undefined): void {
  const parent = parentOf(doc, path) as Record<string | number, Json> & Json[];
  const last = path.at(-1) as string | number;
  if (value !== undefined) parent[last] = value;
  else if (Array.isArray(parent)) parent.splice(last as number, 1);
  else Reflect.deleteProperty(parent, last);
}

function getAt(doc: Json, path: Path): Json {
  return (parentOf(doc, path) as Record<string | number, Json>)[path.at(-1) as string | number] as Json;
}

const unicode = [
  'naïve façade',
  '日本語のステップ',
  'emoji 🚜🌾',
  'rtl \u202eevil\u202c',
  'zero\u200bwidth',
  'nul\u0000byte',
  'combining e\u0301\u0301\u0301',
  'lone \ud800 surrogate',
  'newline\nand\ttab',
  '\uffff\ufffe',
  'Ω≈ç√∫',
  '../../etc/passwd',
  '$(rm -rf /)',
  "'; DROP TABLE runs; --",
  '{{ .Values }}',
  '${HOME}',
];

const strings = [
  '',
  ' ',
  '0',
  '-1',
  'true',
  'null',
  '1e309',
  '0s',
  '1ms',
  '-5m',
  '720h',
  '999999999h',
  '1.5h',
  'NaN',
];
const numbers = [
  0,
  -1,
  1,
  2 ** 31,
  2 ** 31 - 1,
  -(2 ** 31),
  2 ** 53,
  Number.MAX_SAFE_INTEGER + 2,
  1e308,
  0.5,
  -0.0001,
];

function nest(depth: number, value: Json, asArray: boolean): Json {
  let v = value;
  for (let i = 0; i < depth; i++) v = asArray ? [v] : { a: v };
  return v;
}

function describe(value: Json): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 60 ? `${text.slice(0, 40)}… (${text.length} chars)` : text;
}

type Mutator = (random: () => number, doc: Json, path: Path) => string;

const mutators: [string, number, Mutator][] = [
  [
    'missing field',
    3,
    (_r, doc, path) => {
      setAt(doc, path, undefined);
      return `${pathText(path)} removed`;
    },
  ],
  [
    'wrong type',
    4,
    (r, doc, path) => {
      const current = getAt(doc, path);
      const all: Json[] = ['a string', 42, -7.5, true, false, null, [], ['x'], {}, { nested: 'object' }];
      const candidates = all.filter(
        (c) => typeof c !== typeof current || Array.isArray(c) !== Array.isArray(current),
      );
      const value = pick(r, candidates);
      setAt(doc, path, value);
      return `${pathText(path)} = ${describe(value)} (was ${Array.isArray(current) ? 'array' : typeof current})`;
    },
  ],
  [
    'huge value',
    2,
    (r, doc, path) => {
      const current = getAt(doc, path);
      let value: Json;
      if (typeof current === 'number') value = pick(r, numbers);
      else if (Array.isArray(current) && current.length > 0)
        value = Array.from({ length: pick(r, [51, 101, 1000]) }, () => structuredClone(current[0] as Json));
      else value = 'x'.repeat(pick(r, [64, 254, 4097, 32769, 100_000]));
      setAt(doc, path, value);
      return `${pathText(path)} = ${describe(value)}`;
    },
  ],
  [
    'edge value',
    3,
    (r, doc, path) => {
      const value = r() < 0.5 ? pick(r, strings) : pick(r, numbers);
      setAt(doc, path, value);
      return `${pathText(path)} = ${describe(value)}`;
    },
  ],
  [
    'unicode',
    3,
    (r, doc, path) => {
      const value = pick(r, unicode);
      setAt(doc, path, value);
      return `${pathText(path)} = ${describe(value)}`;
    },
  ],
  [
    'deep nesting',
    1,
    (r, doc, path) => {
      const depth = pick(r, [20, 100, 1000]);
      const asArray = r() < 0.5;
      setAt(doc, path, nest(depth, getAt(doc, path), asArray));
      return `${pathText(path)} nested ${depth} ${asArray ? 'arrays' : 'objects'} deep`;
    },
  ],
  [
    'duplicate',
    1,
    (_r, doc, path) => {
      const parent = parentOf(doc, path);
      if (!Array.isArray(parent)) {
        (parent as Record<string, Json>)[`${String(path.at(-1))}Copy`] = structuredClone(getAt(doc, path));
        return `${pathText(path)} copied under an unknown name`;
      }
      parent.push(structuredClone(getAt(doc, path)));
      return `${pathText(path)} duplicated`;
    },
  ],
  [
    'unknown field',
    1,
    (r, doc, path) => {
      const target = getAt(doc, path);
      const key = pick(r, [
        'surprise',
        'Steps',
        'spec',
        'status',
        '$ref',
        '__proto__',
        'x-kubernetes-int-or-string',
      ]);
      if (target && typeof target === 'object' && !Array.isArray(target)) {
        target[key] = 'unexpected';
        return `${pathText(path)}.${key} added`;
      }
      setAt(doc, path, { [key]: target });
      return `${pathText(path)} wrapped in {${key}: ...}`;
    },
  ],
];

/** A 1 MB script (or command) in a random step. */
function megabyteScript(random: () => number, doc: Json): string | undefined {
  const steps = (doc as { spec?: { steps?: Json } }).spec?.steps;
  if (!Array.isArray(steps) || steps.length === 0) return undefined;
  const i = Math.floor(random() * steps.length);
  const step = steps[i] as Record<string, Json>;
  delete step.command;
  delete step.args;
  step.script = `echo ${'x'.repeat(1024 * 1024)}\n`;
  return `1 MB script: spec.steps[${i}].script`;
}

/** 1 to 3 mutations of a copy of `base`; sometimes a megabyte script instead. */
export function mutate(random: () => number, base: Json): Mutation {
  const doc = structuredClone(base);
  const what: string[] = [];
  if (random() < 0.04) {
    const done = megabyteScript(random, doc);
    if (done) return { doc, what: [done] };
  }
  const total = mutators.reduce((n, [, w]) => n + w, 0);
  const roll = random();
  const count = roll < 0.6 ? 1 : roll < 0.85 ? 2 : 3;
  for (let i = 0; i < count; i++) {
    const candidates = paths(doc);
    if (candidates.length === 0) break;
    const path = pick(random, candidates);
    let roll = random() * total;
    const chosen = mutators.find(([, w]) => (roll -= w) < 0) ?? mutators[0];
    if (!chosen) break;
    const [kind, , mutator] = chosen;
    what.push(`${kind}: ${mutator(random, doc, path)}`);
  }
  return { doc, what };
}

/**
 * Mutations of the serialised text, for what a JSON value can't express: nesting deeper than
 * JSON.stringify can write, truncated bodies, duplicate keys, trailing garbage.
 */
export function mutateText(random: () => number, text: string): { text: string; what: string } {
  switch (Math.floor(random() * 4)) {
    case 0: {
      // "steps": [[[...]]], "x-steps": <the real steps>
      const depth = pick(random, [5000, 10_000, 100_000]);
      const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
      const replaced = text.replace('"steps":', `"steps":${nested},"x-steps":`);
      return replaced !== text
        ? { text: replaced, what: `text: steps nested ${depth} arrays deep` }
        : {
            text: text.replace(/^\{/, `{"deep":${nested},`),
            what: `text: a field nested ${depth} arrays deep`,
          };
    }
    case 1: {
      const cut = Math.floor(random() * text.length);
      return { text: text.slice(0, cut), what: `text: cut after ${cut} of ${text.length} characters` };
    }
    case 2:
      return {
        text: text.replace(/^\{/, '{"spec":{"pool":"duplicate"},'),
        what: 'text: a second "spec" key',
      };
    default:
      return { text: `${text}\u0000garbage`, what: 'text: garbage after the document' };
  }
}

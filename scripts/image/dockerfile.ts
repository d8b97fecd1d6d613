// The Dockerfile, read as data: its instructions, stages and COPYs. The image test checks the
// Dockerfile with it, and the Docker-less image build (build.ts) takes the runtime stage's user,
// entry point, working directory, environment and ports from it, so the two never drift.
import assert from 'node:assert/strict';

export interface Instruction {
  keyword: string;
  /** The arguments, with line continuations joined. */
  args: string;
  line: number;
}

/** Dockerfile instructions: comments and blank lines dropped, `\` continuations joined. */
export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && !pending)) return;
    const continued = line.endsWith('\\');
    const part = continued ? line.slice(0, -1).trim() : line;
    pending = pending ? { text: `${pending.text} ${part}`, line: pending.line } : { text: part, line: i + 1 };
    if (continued) return;
    const [keyword = '', ...rest] = pending.text.split(/\s+/);
    instructions.push({ keyword: keyword.toUpperCase(), args: rest.join(' '), line: pending.line });
    pending = undefined;
  });
  return instructions;
}

export interface Stage {
  name: string | undefined;
  base: string;
  instructions: Instruction[];
}

/** Stages with their base image, ARGs declared before the first FROM substituted. */
export function stages(instructions: Instruction[]): Stage[] {
  const globalArgs = new Map<string, string>();
  const result: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const [image = '', as, name] = ins.args.split(/\s+/);
      const base = image.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a?: string, b?: string) => {
        const value = globalArgs.get(a ?? b ?? '');
        assert.ok(value !== undefined, `line ${ins.line}: FROM uses an ARG without a default`);
        return value;
      });
      result.push({ name: as?.toUpperCase() === 'AS' ? name : undefined, base, instructions: [] });
    } else if (result.length === 0) {
      if (ins.keyword === 'ARG') {
        const [key = '', value] = ins.args.split('=');
        if (value !== undefined) globalArgs.set(key, value);
      }
    } else {
      result.at(-1)?.instructions.push(ins);
    }
  }
  return result;
}

export interface Copy {
  from: string | undefined;
  sources: string[];
  destination: string;
}

export function copies(stage: Stage): Copy[] {
  return stage.instructions
    .filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')
    .map((i) => {
      assert.equal(i.keyword, 'COPY', `line ${i.line}: ADD fetches and unpacks; use COPY`);
      const words = i.args.startsWith('[')
        ? (JSON.parse(i.args) as string[])
        : i.args.split(/\s+/).filter(Boolean);
      const flags = words.filter((w) => w.startsWith('--'));
      const paths = words.filter((w) => !w.startsWith('--'));
      const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
      return { from, sources: paths.slice(0, -1), destination: paths.at(-1) ?? '' };
    });
}

/** What the runtime (last) stage sets up: the image configuration an OCI image carries. */
export interface RuntimeConfig {
  base: string;
  user: string;
  workdir: string;
  /** ENV, in order, as NAME=value. */
  env: string[];
  entrypoint: string[];
  exposed: string[];
  copies: Copy[];
}

export function runtimeConfig(text: string): RuntimeConfig {
  const runtime = stages(parseDockerfile(text)).at(-1);
  assert.ok(runtime, 'the Dockerfile has no FROM');
  const args = (keyword: string) =>
    runtime.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
  const last = (keyword: string) => {
    const value = args(keyword).at(-1);
    assert.ok(value !== undefined, `the runtime stage has no ${keyword}`);
    return value;
  };
  const env = args('ENV').map((a) => {
    assert.match(a, /^\w+=\S*$/, `ENV ${a}: only the NAME=value form, one a line, is understood`);
    return a;
  });
  return {
    base: runtime.base,
    user: last('USER'),
    workdir: last('WORKDIR'),
    env,
    entrypoint: JSON.parse(last('ENTRYPOINT')) as string[],
    exposed: args('EXPOSE').flatMap((a) => a.split(/\s+/)),
    copies: copies(runtime),
  };
}

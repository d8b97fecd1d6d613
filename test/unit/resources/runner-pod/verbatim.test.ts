// Scripts reach the shell byte for byte: the API server's kubelet expands $(VAR) and $$ in a
// container's command, args and env values (k8s.io/kubernetes third_party/forked/golang/expansion),
// and Furrow escapes what it writes there so that the expansion gives back the script exactly.
// `expand` below is that expansion, ported line for line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Container } from '../../../../src/kube/json.ts';
import { buildRunnerPod } from '../../../../src/resources/runner-pod/build.ts';
import { verbatim } from '../../../../src/resources/runner-pod/verbatim.ts';
import type { Step } from '../../../../src/resources/types.ts';
import { gitImage, makePool, makeRun } from '../../../support/builders.ts';

/** Kubernetes' expansion.Expand: $$ is $, $(NAME) is the variable if defined, else left as is. */
function expand(input: string, vars: Record<string, string>): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const rest = input.slice(cursor + 1);
    let read: string;
    let advance = 1;
    if (rest[0] === '$') read = '$';
    else if (rest[0] === '(') {
      const close = rest.indexOf(')', 1);
      if (close < 0) read = '$(';
      else {
        const name = rest.slice(1, close);
        read = Object.hasOwn(vars, name) ? (vars[name] ?? '') : `$(${name})`;
        advance = close + 1;
      }
    } else read = `$${rest[0] ?? ''}`;
    out += read;
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

test('the ported expansion behaves as Kubernetes documents it', () => {
  const vars = { HOME: '/expanded' };
  const cases: [string, string][] = [
    ['$(HOME)', '/expanded'],
    ['$$(HOME)', '$(HOME)'],
    ['$$', '$'],
    ['$(UNSET)', '$(UNSET)'],
    ['a$', 'a$'],
    ['$1 "$@"', '$1 "$@"'],
    ['$(HOME', '$(HOME'],
  ];
  for (const [input, want] of cases) assert.equal(expand(input, vars), want, input);
});

test('verbatim: whatever the text, the expansion gives it back byte for byte', () => {
  const vars = { HOME: '/expanded', A: 'x', '': 'empty' };
  const fixed = ['echo $$ $(HOME) \\ \\\\n', '$$$(A)$', '$()', '$(', '$$(HOME)', '"$@" $! ${X:-$(id -u)}'];
  // Every string of up to 5 characters over an alphabet that exercises the syntax.
  const alphabet = ['$', '(', ')', 'A', '\\'];
  const all: string[] = [''];
  for (let length = 1; length <= 5; length++) {
    for (const s of all.filter((x) => x.length === length - 1)) for (const c of alphabet) all.push(s + c);
  }
  for (const text of [...fixed, ...all])
    assert.equal(expand(verbatim(text), vars), text, JSON.stringify(text));
  assert.equal(verbatim('"$@" $1 $!'), '"$@" $1 $!', 'a $ the expansion ignores stays readable');
});

test('every script Furrow puts in a pod reaches the process unchanged; a user’s command keeps Kubernetes’ $(VAR)', () => {
  const script = 'echo "$$ $(HOME) \\\\ $1"\n';
  const env = [{ name: 'HOME', value: '/from-env' }];
  const argv = (c: Container) => [...(c.command ?? []), ...(c.args ?? [])];
  const cases: { name: string; step: Step; want: (argv: string[]) => void }[] = [
    { name: 'a script', step: { name: 's', script, env }, want: (a) => assert.equal(a[3], script) },
    {
      name: 'a #! script',
      step: { name: 's', script: `#!/bin/sh\n${script}`, env },
      want: (a) => {
        assert.equal(a.at(-1), `#!/bin/sh\n${script}`);
        assert.match(a[2] ?? '', /^f=\$\(mktemp\)/);
      },
    },
    {
      name: 'a wrapped script',
      step: { name: 's', script, env, timeout: '1m' },
      want: (a) => {
        assert.equal(a.at(-1), script);
        assert.match(a[2] ?? '', /^# furrow step wrapper/);
      },
    },
    {
      name: 'a command: $(HOME) is the container’s variable, as in any pod',
      step: { name: 's', command: ['echo', '$(HOME)', '$$'], env },
      want: (a) => assert.deepEqual(a, ['echo', '/from-env', '$']),
    },
    {
      name: 'a wrapped command: the same',
      step: { name: 's', command: ['echo', '$(HOME)'], env, onError: 'continue' },
      want: (a) => assert.deepEqual(a.slice(-2), ['echo', '/from-env']),
    },
  ];
  for (const c of cases) {
    const pod = buildRunnerPod({
      run: makeRun({
        spec: { source: undefined, steps: [c.step], services: [{ name: 'svc', image: 'x', script, env }] },
      }),
      pool: makePool(),
      attempt: 1,
      remainingMs: 60_000,
      gitImage,
    });
    const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
    const expanded = (name: string) => {
      const container = containers.find((x) => x.name === name);
      assert.ok(container);
      const vars = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? '']));
      return argv(container).map((arg) => expand(arg, vars));
    };
    c.want(expanded('s'));
    assert.equal(expanded('svc')[3], script, `${c.name}: the service’s script`);
  }
});

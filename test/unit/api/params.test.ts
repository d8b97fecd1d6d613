// The log subresource's parameters and furrow-api's flags: bad input is an error naming it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLogQuery } from '../../../src/api/params.ts';
import { parseApiOptions } from '../../../src/api/options.ts';
import { StatusError } from '../../../src/api/status.ts';

const q = (s: string) => parseLogQuery(new URLSearchParams(s));

test('defaults and every parameter', () => {
  assert.deepEqual(q('container=build'), {
    container: 'build',
    attempt: undefined,
    uid: undefined,
    follow: false,
    timestamps: false,
  });
  assert.deepEqual(q('container=build&attempt=2&uid=0b1e-AF&follow=true&timestamps=1'), {
    container: 'build',
    attempt: 2,
    uid: '0b1e-AF',
    follow: true,
    timestamps: true,
  });
});

test('a bad parameter is a 400 naming it', () => {
  const cases: [string, RegExp][] = [
    ['', /container is required/],
    ['container=', /container is required/],
    ['container=Bad_Name', /parameter container: "Bad_Name"/],
    ['container=a&attempt=0', /parameter attempt/],
    ['container=a&attempt=-1', /parameter attempt/],
    ['container=a&attempt=1e3', /parameter attempt/],
    ['container=a&follow=yes', /parameter follow/],
    ['container=a&timestamps=2', /parameter timestamps/],
    ['container=a&uid=../x', /parameter uid/],
    ['container=a&container=b', /container: given 2 times/],
    ['container=a&tail=5', /unknown query parameter tail/],
  ];
  for (const [query, message] of cases)
    assert.throws(
      () => q(query),
      (err: unknown) => err instanceof StatusError && err.code === 400 && message.test(err.message),
      query,
    );
});

test('furrow-api’s flags: required TLS files, checked ports, environment fallbacks', () => {
  const base = ['--tls-cert-file', 'c', '--tls-private-key-file', 'k'];
  const options = parseApiOptions([...base, '--bind-address', '127.0.0.1, 10.0.0.1'], {
    FURROW_API_SECURE_PORT: '18088',
  });
  assert.deepEqual(options.bindAddresses, ['127.0.0.1', '10.0.0.1']);
  assert.equal(options.securePort, 18088);
  assert.equal(options.authorizationCacheMs, 10_000);
  assert.throws(() => parseApiOptions([], {}), /--tls-cert-file is required/);
  assert.throws(
    () => parseApiOptions([...base, '--secure-port', '70000'], {}),
    /--secure-port: expected an integer/,
  );
  assert.throws(() => parseApiOptions([...base, '--log-level', 'loud'], {}), /--log-level/);
  assert.throws(() => parseApiOptions([...base, '--nope'], {}), /nope/);
});

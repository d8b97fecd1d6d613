import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, parseDuration } from '../../../src/resources/duration.ts';

test('parseDuration reads Go duration syntax', () => {
  const cases: [string, number | undefined][] = [
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['500ms', 500],
    ['2m3s', 123_000],
    ['0', 0],
    ['0s', 0],
    ['.5s', 500],
    ['', undefined],
    ['10', undefined],
    ['-5s', undefined],
    ['5 s', undefined],
    ['1d', undefined],
    ['s', undefined],
    ['1h-', undefined],
  ];
  for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, JSON.stringify(text));
});

test('formatDuration prints whole seconds as kubectl does', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [1499, '1s'],
    [59_000, '59s'],
    [61_000, '1m1s'],
    [3_600_000, '1h0m0s'],
    [3_723_000, '1h2m3s'],
  ];
  for (const [ms, text] of cases) assert.equal(formatDuration(ms), text);
});

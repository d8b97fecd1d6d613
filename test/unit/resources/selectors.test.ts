// metav1.LabelSelector matching, as the API server does it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchesSelector } from '../../../src/resources/selectors.ts';
import type { LabelSelector } from '../../../src/resources/types.ts';

test('matchesSelector', () => {
  const labels = { 'furrow.dev/class': 'peasant', zone: 'a', gpu: '' };
  const cases: {
    name: string;
    selector: LabelSelector | undefined;
    labels?: Record<string, string>;
    want: boolean;
  }[] = [
    { name: 'undefined matches nothing', selector: undefined, want: false },
    { name: 'empty matches everything', selector: {}, want: true },
    { name: 'empty matches even no labels', selector: {}, labels: {}, want: true },
    { name: 'matchLabels equal', selector: { matchLabels: { zone: 'a' } }, want: true },
    { name: 'matchLabels differ', selector: { matchLabels: { zone: 'b' } }, want: false },
    { name: 'matchLabels missing key', selector: { matchLabels: { rack: '1' } }, want: false },
    { name: 'matchLabels empty value', selector: { matchLabels: { gpu: '' } }, want: true },
    {
      name: 'all matchLabels must hold',
      selector: { matchLabels: { zone: 'a', 'furrow.dev/class': 'x' } },
      want: false,
    },
    {
      name: 'In',
      selector: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] },
      want: true,
    },
    {
      name: 'In, other value',
      selector: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] },
      want: false,
    },
    {
      name: 'In, key absent',
      selector: { matchExpressions: [{ key: 'rack', operator: 'In', values: ['1'] }] },
      want: false,
    },
    {
      name: 'NotIn',
      selector: { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['b'] }] },
      want: true,
    },
    {
      name: 'NotIn, listed',
      selector: { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] },
      want: false,
    },
    {
      name: 'NotIn, key absent',
      selector: { matchExpressions: [{ key: 'rack', operator: 'NotIn', values: ['1'] }] },
      want: true,
    },
    { name: 'Exists', selector: { matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }, want: true },
    {
      name: 'Exists, absent',
      selector: { matchExpressions: [{ key: 'rack', operator: 'Exists' }] },
      want: false,
    },
    {
      name: 'DoesNotExist',
      selector: { matchExpressions: [{ key: 'rack', operator: 'DoesNotExist' }] },
      want: true,
    },
    {
      name: 'DoesNotExist, present (empty value)',
      selector: { matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] },
      want: false,
    },
    {
      name: 'matchLabels and matchExpressions together',
      selector: {
        matchLabels: { 'furrow.dev/class': 'peasant' },
        matchExpressions: [
          { key: 'node.kubernetes.io/exclude-from-external-load-balancers', operator: 'DoesNotExist' },
        ],
      },
      want: true,
    },
    {
      name: 'one failing expression fails the selector',
      selector: {
        matchExpressions: [
          { key: 'zone', operator: 'In', values: ['a'] },
          { key: 'gpu', operator: 'DoesNotExist' },
        ],
      },
      want: false,
    },
    { name: 'no labels at all', selector: { matchLabels: { zone: 'a' } }, labels: undefined, want: false },
    {
      name: 'inherited keys are not labels',
      selector: { matchExpressions: [{ key: 'toString', operator: 'Exists' }] },
      want: false,
    },
  ];
  for (const c of cases) {
    const have = 'labels' in c ? c.labels : labels;
    assert.equal(matchesSelector(c.selector, have), c.want, c.name);
  }
});

test('an operator the API doesn’t know matches nothing', () => {
  const selector = {
    matchExpressions: [{ key: 'zone', operator: 'Gt', values: ['1'] }],
  } as unknown as LabelSelector;
  assert.equal(matchesSelector(selector, { zone: '2' }), false);
});

// Cross-field rules. Each is written twice, side by side: in CEL for the API server (the CRD's
// x-kubernetes-validations) and as a JavaScript `check` for the operator's ajv validator, so
// the two cannot drift apart unnoticed: the invalid fixtures run through both.
import * as patterns from './patterns.ts';

/** The reasons the API server accepts for a rule (field.ErrorType names). */
export type RuleReason =
  'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';

export interface CelRule<Self> {
  /** The CEL expression; true means valid. */
  rule: string;
  /** Shown when the rule fails (and when messageExpression can't be evaluated). */
  message: string;
  /** CEL that builds a message naming the culprit; `explain` is its JavaScript twin. */
  messageExpression?: string;
  /** Where the error is reported, relative to the node the rule is attached to: ".image". */
  fieldPath?: string;
  reason?: RuleReason;
  // Method syntax on purpose: a rule over one shape must fit in a list of rules over others.
  check(self: Self): boolean;
  explain?(self: Self): string;
}

/** A pattern as a CEL raw string literal, so its backslashes reach RE2 untouched. */
function celPattern(pattern: string): string {
  if (pattern.includes("'")) throw new Error(`pattern ${pattern} can't be a raw CEL string`);
  return `r'${pattern}'`;
}

const has = (value: unknown): boolean => value !== undefined;
const nonEmpty = (value: unknown[] | Record<string, unknown> | undefined): boolean =>
  value !== undefined && Object.keys(value).length > 0;

// Rules see only the fields they read: they stand apart from the schema types.
interface Named {
  metadata?: { name?: string };
}
interface Runnable {
  script?: string;
  command?: string[];
  args?: string[];
}
interface Container extends Runnable {
  name: string;
  image?: string;
}
interface RunSpec {
  image?: string;
  steps: Container[];
  services?: Container[];
}
interface Requirement {
  operator: string;
  values?: string[];
}

/**
 * Run and pool names become label values, so they get the label-value limit, as Jobs do. (The
 * API server itself checks that they are DNS subdomains.)
 */
export const nameAtMost63: CelRule<Named> = {
  rule: 'self.metadata.name.size() <= 63',
  message: 'must be no more than 63 characters (the name is used as a label value)',
  fieldPath: '.metadata.name',
  check: (self) => (self.metadata?.name ?? '').length <= 63,
};

export const notReservedName: CelRule<string> = {
  rule: "!self.startsWith('furrow-')",
  message: 'names starting with "furrow-" are reserved for the containers Furrow adds to the runner pod',
  check: (self) => !self.startsWith('furrow-'),
};

export const scriptExcludesCommand: CelRule<Runnable> = {
  rule: '!has(self.script) || !(has(self.command) || has(self.args))',
  message: 'script and command/args are mutually exclusive: a script is the command',
  check: (self) => !has(self.script) || !(has(self.command) || has(self.args)),
};

export const stepRunsSomething: CelRule<Runnable> = {
  rule: 'has(self.script) || has(self.command) || has(self.args)',
  message: 'a step needs either script or command (and/or args)',
  reason: 'FieldValueRequired',
  check: (self) => has(self.script) || has(self.command) || has(self.args),
};

// Messages that name the culprit share their wording between CEL and JavaScript; the wording
// avoids quote characters so it can sit inside a CEL string literal.
const noImage = 'has no image: set spec.image (the default for every step) or an image on the step';
export const everyStepHasAnImage: CelRule<RunSpec> = {
  rule: 'has(self.image) || self.steps.all(s, has(s.image))',
  message: `a step ${noImage}`,
  // format() rather than '+': the API server's cost estimate for concatenating the result of
  // a filter is beyond its budget, for format() it is not.
  messageExpression: `'step %s ${noImage}'.format([self.steps.filter(s, !has(s.image)).map(s, s.name)[0]])`,
  fieldPath: '.image',
  reason: 'FieldValueRequired',
  check: (self) => has(self.image) || self.steps.every((s) => has(s.image)),
  explain: (self) => `step ${self.steps.find((s) => !has(s.image))?.name ?? ''} ${noImage}`,
};

const sharesStepName = 'has the name of a step: steps and services are containers of one pod';
export const servicesAndStepsNamedApart: CelRule<RunSpec> = {
  rule: '!has(self.services) || self.services.all(v, !self.steps.exists(s, s.name == v.name))',
  message: `a service ${sharesStepName}`,
  messageExpression: `'service %s ${sharesStepName}'.format([self.services.filter(v, self.steps.exists(s, s.name == v.name)).map(v, v.name)[0]])`,
  fieldPath: '.services',
  reason: 'FieldValueDuplicate',
  check: (self) => !(self.services ?? []).some((v) => self.steps.some((s) => s.name === v.name)),
  explain: (self) =>
    `service ${(self.services ?? []).find((v) => self.steps.some((s) => s.name === v.name))?.name ?? ''} ${sharesStepName}`,
};

export const valueExcludesValueFrom: CelRule<{ value?: string; valueFrom?: object }> = {
  rule: '!(has(self.value) && has(self.valueFrom))',
  message: 'value and valueFrom are mutually exclusive',
  check: (self) => !(has(self.value) && has(self.valueFrom)),
};

export const oneValueSource: CelRule<{ secretKeyRef?: object; configMapKeyRef?: object; fieldRef?: object }> =
  {
    rule: '(has(self.secretKeyRef) ? 1 : 0) + (has(self.configMapKeyRef) ? 1 : 0) + (has(self.fieldRef) ? 1 : 0) == 1',
    message: 'exactly one of secretKeyRef, configMapKeyRef or fieldRef is required',
    check: (self) => [self.secretKeyRef, self.configMapKeyRef, self.fieldRef].filter(has).length === 1,
  };

export const selectorSelectsSomething: CelRule<{
  matchLabels?: Record<string, string>;
  matchExpressions?: object[];
}> = {
  rule: '(has(self.matchLabels) && size(self.matchLabels) > 0) || (has(self.matchExpressions) && size(self.matchExpressions) > 0)',
  message:
    'must have at least one matchLabels entry or matchExpression: an empty selector would make every node a member',
  reason: 'FieldValueRequired',
  check: (self) => nonEmpty(self.matchLabels) || nonEmpty(self.matchExpressions),
};

/** A range of priorities that admits none would refuse every run of the pool. */
export const minAtMostMax: CelRule<{ min?: number; max?: number }> = {
  rule: '(has(self.min) ? self.min : 0) <= (has(self.max) ? self.max : 0)',
  message: 'min must not be greater than max (each defaults to 0): the range would admit no run',
  fieldPath: '.min',
  check: (self) => (self.min ?? 0) <= (self.max ?? 0),
};

export const setOperatorNeedsValues: CelRule<Requirement> = {
  rule: "!(self.operator in ['In', 'NotIn']) || (has(self.values) && size(self.values) > 0)",
  message: 'must be non-empty when operator is In or NotIn',
  fieldPath: '.values',
  reason: 'FieldValueRequired',
  check: (self) => !['In', 'NotIn'].includes(self.operator) || nonEmpty(self.values),
};

export const existenceOperatorTakesNoValues: CelRule<Requirement> = {
  rule: "!(self.operator in ['Exists', 'DoesNotExist']) || !has(self.values) || size(self.values) == 0",
  message: 'must be empty when operator is Exists or DoesNotExist',
  fieldPath: '.values',
  reason: 'FieldValueForbidden',
  check: (self) => !['Exists', 'DoesNotExist'].includes(self.operator) || !nonEmpty(self.values),
};

// CRD schemas can't constrain map keys (no propertyNames), so label keys take a rule.
const qualifiedNameRule =
  'is not a qualified name: an optional DNS subdomain and a slash, then a name of at most 63 letters, digits, dashes, underscores and dots that starts and ends with a letter or digit';
const isQualifiedName = (key: string): boolean => new RegExp(patterns.qualifiedName, 'u').test(key);
export const keysAreQualifiedNames: CelRule<Record<string, string>> = {
  rule: `self.all(k, k.matches(${celPattern(patterns.qualifiedName)}))`,
  message: `a key ${qualifiedNameRule}`,
  messageExpression: `'key %s ${qualifiedNameRule}'.format([self.filter(k, !k.matches(${celPattern(patterns.qualifiedName)}))[0]])`,
  check: (self) => Object.keys(self).every(isQualifiedName),
  explain: (self) => `key ${Object.keys(self).find((k) => !isQualifiedName(k)) ?? ''} ${qualifiedNameRule}`,
};

/**
 * A step with a timeout or onError: continue runs under the step wrapper, which runs the
 * step's argv; an image's own entrypoint is unknown to Furrow, so args alone can't be wrapped.
 */
export const wrappedStepRunsACommand: CelRule<Runnable & { timeout?: string; onError?: string }> = {
  rule: "!(has(self.timeout) || (has(self.onError) && self.onError == 'continue')) || has(self.script) || has(self.command)",
  message:
    'a step with a timeout or onError: continue needs a script or a command: it runs under a shell wrapper, which can not run the image entrypoint that args alone rely on',
  fieldPath: '.command',
  reason: 'FieldValueRequired',
  check: (self) =>
    !(has(self.timeout) || self.onError === 'continue') || has(self.script) || has(self.command),
};

interface GitSourceFields {
  url: string;
  credentials?: object;
}
const matches = (pattern: string, text: string): boolean => new RegExp(pattern, 'u').test(text);

/**
 * An SSH URL can't work without credentials: the checkout needs a private key, and the
 * server's host keys to check it against (ssh-privatekey and known_hosts in the Secret).
 */
export const sshUrlNeedsCredentials: CelRule<GitSourceFields> = {
  rule: `!self.url.matches(${celPattern(patterns.sshGitUrl)}) || has(self.credentials)`,
  message:
    'an SSH URL needs credentials: a Secret with the keys ssh-privatekey and known_hosts (Furrow never clones without checking the server host key)',
  fieldPath: '.credentials',
  reason: 'FieldValueRequired',
  check: (self) => !matches(patterns.sshGitUrl, self.url) || has(self.credentials),
};

export const credentialsNeedHttpOrSsh: CelRule<GitSourceFields> = {
  rule: `!has(self.credentials) || self.url.matches(${celPattern(patterns.authenticatedGitUrl)})`,
  message: 'credentials apply to https://, http://, ssh:// and scp-like URLs only',
  fieldPath: '.credentials',
  reason: 'FieldValueForbidden',
  check: (self) => !has(self.credentials) || matches(patterns.authenticatedGitUrl, self.url),
};

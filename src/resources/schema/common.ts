// Pieces both kinds share: typed helpers for the Kubernetes shapes a CRD schema can express
// (string enums, maps, int-or-string quantities, timestamps) and the core types Furrow
// reuses (container fields, env, resources, label selectors, conditions).
import {
  Type,
  type ObjectOptions,
  type StringOptions,
  type TProperties,
  type TSchema,
} from '@sinclair/typebox';
import * as patterns from './patterns.ts';
import {
  existenceOperatorTakesNoValues,
  keysAreQualifiedNames,
  nameAtMost63,
  notReservedName,
  oneValueSource,
  setOperatorNeedsValues,
  valueExcludesValueFrom,
  type CelRule,
} from './rules.ts';

/** Every node of the API carries a description: `kubectl explain` shows it to users. */
interface Described {
  description: string;
}

/**
 * An object that refuses unknown fields in the operator's validator, as kubectl's strict field
 * validation does. The CRD drops `additionalProperties: false` (it is not structural); the API
 * server prunes or refuses unknown fields itself.
 */
export function object<P extends TProperties>(properties: P, options: ObjectOptions & Described) {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

export function stringEnum<const T extends readonly string[]>(
  values: T,
  options: Described & { default?: T[number] },
) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/** A map: a CRD schema says so with additionalProperties (never patternProperties). */
export function stringMap(
  values: TSchema,
  options: Described & { maxProperties?: number; rules?: CelRule<never>[] },
) {
  const { rules, ...rest } = options;
  return Type.Unsafe<Record<string, string>>({
    type: 'object',
    additionalProperties: values,
    ...rest,
    ...(rules ? { 'x-kubernetes-validations': rules } : {}),
  });
}

export function duration(options: Described & { default?: string }) {
  return Type.String({ pattern: patterns.goDuration, maxLength: 64, ...options });
}

export function timestamp(description: string) {
  return Type.String({ format: 'date-time', description });
}

export function int32(options: Described & { minimum?: number; maximum?: number; default?: number }) {
  return Type.Integer({ format: 'int32', ...options });
}

export function int64(options: Described & { minimum?: number; maximum?: number }) {
  return Type.Integer({ format: 'int64', ...options });
}

export function nonEmptyString(options: Described & StringOptions) {
  return Type.String({ minLength: 1, ...options });
}

/** An image reference: printable ASCII, no spaces (patterns.imageReference). */
export function imageRef(description: string) {
  return Type.String({ minLength: 1, maxLength: 4096, pattern: patterns.imageReference, description });
}

/** A DNS-label name of a step or service; it becomes a container name. */
export function containerName(description: string) {
  return Type.String({
    pattern: patterns.dnsLabel,
    maxLength: 63,
    description,
    'x-kubernetes-validations': [notReservedName],
  });
}

// A resource quantity, the way Kubernetes' own types publish it: integer or string.
const quantity = Type.Union([Type.Integer(), Type.String()], {
  'x-kubernetes-int-or-string': true,
  pattern: patterns.quantity,
});

export function resourceRequirements(description: string) {
  const quantities = (what: string) =>
    Type.Optional(
      Type.Unsafe<Record<string, number | string>>({
        type: 'object',
        additionalProperties: quantity,
        maxProperties: 32,
        description: `${what}, by resource name (cpu, memory, ephemeral-storage, or an extended resource such as nvidia.com/gpu), as quantities: "500m", "2", "4Gi".`,
      }),
    );
  return object(
    {
      requests: quantities('The resources the scheduler reserves for the container'),
      limits: quantities('The most the container may use: more CPU is throttled, more memory is killed'),
    },
    { description },
  );
}

const keySelector = (what: string) =>
  object(
    {
      name: nonEmptyString({ maxLength: 253, description: `Name of the ${what} in the run’s namespace.` }),
      key: nonEmptyString({ maxLength: 253, description: `The key in the ${what} whose value is used.` }),
      optional: Type.Optional(
        Type.Boolean({
          description: `If true, a missing ${what} or key leaves the variable unset instead of failing the run.`,
        }),
      ),
    },
    {
      description: `Takes the value from a key of a ${what}. Unless optional, a ${what} or key still missing 30 s after the container’s turn came fails the attempt with reason ConfigMissing, naming it; the failure counts against spec.retries.limit.`,
    },
  );

const envVar = object(
  {
    name: Type.String({
      pattern: patterns.envVarName,
      maxLength: 253,
      description: 'Name of the environment variable.',
    }),
    value: Type.Optional(
      Type.String({
        description:
          'The value. $(VAR_NAME) refers to a variable defined earlier in the list; $$ escapes a literal $.',
      }),
    ),
    valueFrom: Type.Optional(
      object(
        {
          secretKeyRef: Type.Optional(keySelector('Secret')),
          configMapKeyRef: Type.Optional(keySelector('ConfigMap')),
          fieldRef: Type.Optional(
            object(
              {
                fieldPath: nonEmptyString({
                  description:
                    'Path of the field of the runner pod: metadata.name, metadata.namespace, metadata.labels[KEY], spec.nodeName, status.podIP, ...',
                }),
                apiVersion: Type.Optional(
                  Type.String({
                    description: 'Version of the schema fieldPath is written in; "v1" if unset.',
                  }),
                ),
              },
              { description: 'Takes the value from a field of the runner pod (the downward API).' },
            ),
          ),
        },
        {
          description: 'Takes the value from a Secret, a ConfigMap or the runner pod; exactly one of them.',
          'x-kubernetes-validations': [oneValueSource],
        },
      ),
    ),
  },
  {
    description: 'An environment variable: a literal value or one taken from elsewhere.',
    'x-kubernetes-validations': [valueExcludesValueFrom],
  },
);

export function envVars(description: string) {
  return Type.Array(envVar, {
    maxItems: 100,
    description,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['name'],
  });
}

/**
 * What differs between a step's container and a service's: services start before the checkout
 * and run beside every step, so they take nothing of the steps' defaults (as Tekton sidecars
 * and GitHub Actions service containers take nothing of the steps' or job's settings).
 */
const containerDefaults = {
  step: {
    env: 'Environment variables of this step; they override variables of the same name in spec.env.',
    workingDir:
      'Absolute path of the directory the step starts in. Defaults to the checked-out source (/workspace/source), or /workspace when the run has no source.',
    resources:
      'CPU and memory for this step; requests and limits not given here come from spec.resources, then from the pool’s runner.resources.',
  },
  service: {
    env: 'Environment variables of this service. Services do not receive spec.env, which is the steps’.',
    workingDir:
      'Absolute path of the directory the service starts in. Defaults to the image’s own working directory: services start before the source is checked out.',
    resources:
      'CPU and memory for this service; requests and limits not given here come from the pool’s runner.resources (not from spec.resources, which is the steps’).',
  },
};

/** The fields every container of a run has, steps and services alike. */
export function containerFields(what: keyof typeof containerDefaults) {
  const described = containerDefaults[what];
  return {
    script: Type.Optional(
      nonEmptyString({
        description: `A script the ${what} runs instead of command/args, byte for byte (no $(VAR) expansion). It runs with /bin/sh -e (the first failing command fails the ${what}) unless its first line is a #! naming another interpreter, in which case it runs as an executable file.`,
      }),
    ),
    command: Type.Optional(
      Type.Array(Type.String(), {
        minItems: 1,
        description: `The executable and its arguments, run without a shell; replaces the image’s entrypoint. As in any pod, $(VAR) becomes the value of VAR when the ${what}’s env${what === 'step' ? ' (or spec.env)' : ''} defines it, and $$ is a literal $.`,
      }),
    ),
    args: Type.Optional(
      Type.Array(Type.String(), {
        description: `Arguments to command, or to the image’s entrypoint when command is unset; $(VAR) and $$ are expanded as in command.`,
      }),
    ),
    env: Type.Optional(envVars(described.env)),
    workingDir: Type.Optional(
      Type.String({ pattern: patterns.absolutePath, description: described.workingDir }),
    ),
    resources: Type.Optional(resourceRequirements(described.resources)),
  };
}

/** Keys qualified names, values label values: what Kubernetes accepts as labels. */
export function labelMap(description: string) {
  return stringMap(Type.String({ pattern: patterns.labelValue, maxLength: 63 }), {
    maxProperties: 64,
    description,
    rules: [keysAreQualifiedNames],
  });
}

const labelSelectorRequirement = object(
  {
    key: Type.String({ pattern: patterns.qualifiedName, maxLength: 316, description: 'The label key.' }),
    operator: stringEnum(['In', 'NotIn', 'Exists', 'DoesNotExist'], {
      description:
        'How the label’s value relates to values: In, NotIn (values must be non-empty), Exists, DoesNotExist (values must be empty).',
    }),
    values: Type.Optional(
      Type.Array(Type.String({ pattern: patterns.labelValue, maxLength: 63 }), {
        maxItems: 64,
        description: 'Label values for In and NotIn; empty for Exists and DoesNotExist.',
      }),
    ),
  },
  {
    description: 'A requirement on one label.',
    'x-kubernetes-validations': [setOperatorNeedsValues, existenceOperatorTakesNoValues],
  },
);

/** A metav1.LabelSelector: the requirements of matchLabels and matchExpressions all hold. */
export function labelSelector(description: string, rules: CelRule<never>[] = []) {
  return object(
    {
      matchLabels: Type.Optional(
        labelMap('Labels that must be present with exactly these values (each entry is an In requirement).'),
      ),
      matchExpressions: Type.Optional(
        Type.Array(labelSelectorRequirement, {
          maxItems: 32,
          description: 'Label requirements, all of which must hold.',
        }),
      ),
    },
    { description, ...(rules.length > 0 ? { 'x-kubernetes-validations': rules } : {}) },
  );
}

/** metav1.Condition, the shape `kubectl wait --for=condition=...` and every tool understands. */
export const condition = object(
  {
    type: Type.String({
      pattern: patterns.conditionType,
      maxLength: 316,
      description: 'Type of the condition, in CamelCase.',
    }),
    status: stringEnum(['True', 'False', 'Unknown'], { description: 'True, False or Unknown.' }),
    observedGeneration: Type.Optional(
      int64({
        minimum: 0,
        description:
          'The metadata.generation the condition was set for; older than the object’s means stale.',
      }),
    ),
    lastTransitionTime: timestamp('When the status last changed (not when the condition was last written).'),
    reason: Type.String({
      pattern: patterns.conditionReason,
      minLength: 1,
      maxLength: 1024,
      description: 'Why the condition has its status: a CamelCase word for programs.',
    }),
    message: Type.String({ maxLength: 32768, description: 'Why the condition has its status, for humans.' }),
  },
  { description: 'One aspect of the object’s state.' },
);

export function conditions(description: string) {
  return Type.Array(condition, {
    description,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  });
}

/**
 * The standard root of a custom resource: apiVersion, kind, metadata, then spec and status.
 * Every Furrow object's name ends up in a label value, hence the 63-character limit.
 */
export function customResource<S extends TSchema, T extends TSchema>(parts: {
  description: string;
  spec: S;
  status: T;
}) {
  const { description, spec, status } = parts;
  return object(
    {
      apiVersion: Type.Optional(
        Type.String({
          description:
            'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.',
        }),
      ),
      kind: Type.Optional(
        Type.String({
          description:
            'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. In CamelCase.',
        }),
      ),
      // A CRD may say nothing of metadata but the type of name and generateName (not even a
      // description: the API server documents ObjectMeta itself). name is declared so that
      // rules can report errors at metadata.name.
      metadata: Type.Optional(Type.Object({ name: Type.Optional(Type.String()) })),
      spec,
      status: Type.Optional(status),
    },
    { description, 'x-kubernetes-validations': [nameAtMost63] },
  );
}

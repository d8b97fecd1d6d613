// The PipelineRun schema: one CI job, run as one runner pod on a NodePool's nodes.
import { Type } from '@sinclair/typebox';
import {
  conditions,
  containerFields,
  containerName,
  customResource,
  duration,
  envVars,
  int32,
  int64,
  imageRef,
  nonEmptyString,
  object,
  resourceRequirements,
  stringEnum,
  timestamp,
} from './common.ts';
import * as patterns from './patterns.ts';
import type { PrinterColumn } from './crd.ts';
import {
  everyStepHasAnImage,
  scriptExcludesCommand,
  servicesAndStepsNamedApart,
  credentialsNeedHttpOrSsh,
  sshUrlNeedsCredentials,
  stepRunsSomething,
  wrappedStepRunsACommand,
} from './rules.ts';

const step = object(
  {
    name: containerName(
      'Name of the step, unique in the run: a DNS label, as it names the step’s container. Names starting with furrow- are reserved.',
    ),
    image: Type.Optional(imageRef('Image the step runs in; defaults to spec.image.')),
    ...containerFields('step'),
    timeout: Type.Optional(
      duration({
        description:
          'Longest the step may run, as a duration ("90s", "10m", "1h30m"). A step that runs longer is stopped and fails; onError decides what follows.',
      }),
    ),
    onError: Type.Optional(
      stringEnum(['stopAndFail', 'continue'], {
        default: 'stopAndFail',
        description:
          'What a failure of this step does: stopAndFail (the default) skips the remaining steps and fails the run; continue records the failure and runs the next step, and the run can still succeed. With continue (or a timeout) the step needs a script or a command: it runs under a shell wrapper, which can’t run the image’s entrypoint that args alone would use.',
      }),
    ),
  },
  {
    description:
      'A step: one container that runs a script or a command in the shared workspace, after the previous step ended.',
    'x-kubernetes-validations': [scriptExcludesCommand, stepRunsSomething, wrappedStepRunsACommand],
  },
);

const containerPort = object(
  {
    name: Type.Optional(
      Type.String({
        pattern: patterns.portName,
        maxLength: 15,
        description: 'A name for the port (an IANA service name, at most 15 characters).',
      }),
    ),
    containerPort: int32({ minimum: 1, maximum: 65535, description: 'The port number, 1 to 65535.' }),
    protocol: Type.Optional(
      stringEnum(['TCP', 'UDP', 'SCTP'], { default: 'TCP', description: 'TCP (the default), UDP or SCTP.' }),
    ),
  },
  { description: 'A port the service listens on.' },
);

const service = object(
  {
    name: containerName(
      'Name of the service, unique in the run and different from every step name: a DNS label, as it names the service’s container. Names starting with furrow- are reserved.',
    ),
    image: imageRef('Image of the service, e.g. postgres:17.'),
    ...containerFields('service'),
    ports: Type.Optional(
      Type.Array(containerPort, {
        maxItems: 16,
        description:
          'Ports the service listens on. Steps share the pod’s network, so they reach the service at localhost:<port>.',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['containerPort', 'protocol'],
      }),
    ),
  },
  {
    description:
      'A container that runs beside the steps for the whole run, such as a database the tests use. With neither script nor command it runs its image’s entrypoint.',
    'x-kubernetes-validations': [scriptExcludesCommand],
  },
);

const gitCredentials = object(
  {
    secretName: Type.String({
      pattern: patterns.dnsSubdomain,
      maxLength: 253,
      description:
        'Name of a Secret in the run’s namespace. For an https:// or http:// URL it holds username and password (a kubernetes.io/basic-auth Secret; for a token, the token as password and the user name the host expects, e.g. x-access-token on GitHub, oauth2 on GitLab), and optionally ca.crt: the PEM certificates of the CA that signed an https server’s certificate (a private CA), which git then checks the server against instead of the image’s CA bundle (http.sslCAInfo; Furrow never turns TLS verification off). For an SSH URL it holds ssh-privatekey (a kubernetes.io/ssh-auth Secret) and known_hosts (the server’s host keys, as ssh-keyscan prints them): without known_hosts the checkout fails, as Furrow never turns host key checking off. Only the checkout container mounts it (read-only, mode 0400, owned by root: the operator’s --git-image must run as root, as the default one does); steps and services never see it. A missing Secret or key fails the attempt with CheckoutFailed, naming it.',
    }),
  },
  { description: 'The Secret git authenticates with.' },
);

const gitSource = object(
  {
    url: Type.String({
      pattern: patterns.gitUrl,
      maxLength: 2048,
      description:
        'The repository to clone: an https://, http://, ssh://, git:// or file:// URL, or scp-like user@host:path. An SSH URL needs credentials.',
    }),
    revision: nonEmptyString({
      pattern: patterns.gitRevision,
      maxLength: 255,
      description:
        'What to check out: a branch (main), a tag (v1.2.0) or a commit SHA. It may not start with -, which git would read as an option.',
    }),
    depth: Type.Optional(
      int32({
        minimum: 1,
        description: 'Fetch only this many commits of history (git clone --depth); unset fetches all of it.',
      }),
    ),
    credentials: Type.Optional(gitCredentials),
  },
  {
    description: 'A git repository.',
    'x-kubernetes-validations': [sshUrlNeedsCredentials, credentialsNeedHttpOrSsh],
  },
);

const spec = object(
  {
    pool: Type.String({
      pattern: patterns.dnsSubdomain,
      maxLength: 63,
      description: 'Name of the NodePool whose nodes run this run.',
    }),
    image: Type.Optional(imageRef('The image of every step that names none (Wercker’s box), e.g. node:24.')),
    source: Type.Optional(
      object(
        { git: gitSource },
        { description: 'The code to build, checked out into the shared workspace before the first step.' },
      ),
    ),
    steps: Type.Array(step, {
      minItems: 1,
      maxItems: 50,
      description:
        'What to run, in order: 1 to 50 steps with unique names. They run one after another in one pod and share its workspace.',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    }),
    services: Type.Optional(
      Type.Array(service, {
        maxItems: 10,
        description: 'Containers that run beside the steps for the whole run (a database for the tests).',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
    ),
    env: Type.Optional(
      envVars(
        'Environment variables of every step (not of the services); a step’s own env overrides them by name.',
      ),
    ),
    resources: Type.Optional(
      resourceRequirements(
        'CPU and memory of each step (not of the services), unless the step says otherwise; the pool’s runner.resources fill in the rest.',
      ),
    ),
    timeout: Type.Optional(
      duration({
        default: '1h',
        description:
          'Longest the run may take, as a duration ("90s", "30m", "1h"; default 1h), counted from the start of its first attempt; time spent queued does not count. When it runs out the run ends TimedOut.',
      }),
    ),
    retries: Type.Optional(
      object(
        {
          limit: Type.Optional(
            int32({
              minimum: 0,
              maximum: 10,
              default: 0,
              description:
                'How many times a failed run starts over from the beginning, 0 (the default) to 10. Attempts lost to the infrastructure (a node gone, a pod evicted) do not count.',
            }),
          ),
          backoff: Type.Optional(
            duration({
              default: '10s',
              description:
                'How long to wait before the first retry (default 10s). Each further retry waits twice as long as the one before (10s, 20s, 40s, ...), up to 1h. An attempt lost to the infrastructure is retried at once.',
            }),
          ),
        },
        { default: {}, description: 'Starting a failed run over.' },
      ),
    ),
    priority: Type.Optional(
      int32({
        default: 0,
        description:
          'Runs with a higher priority leave the pool’s queue first. Among equal priorities namespaces take turns: a run’s place counts the runs its namespace already has running plus the runs ahead of it in its own namespace, so one namespace can’t fill the pool before the others; ties go in order of creation. Default 0; may be negative. The pool’s spec.allowedPriorities bounds it (unset: only 0): a run outside that range fails at once with reason PriorityNotAllowed.',
      }),
    ),
    ttlSecondsAfterFinished: Type.Optional(
      int32({
        minimum: 0,
        description:
          'Seconds to keep the run (and its pod) after it finished; then it is deleted. Unset: the pool’s runner.ttlSecondsAfterFinished, or kept if that is unset too.',
      }),
    ),
    cancelled: Type.Optional(
      Type.Boolean({
        description:
          'Set to true to cancel the run: a queued run never starts and a running one is stopped; it ends Cancelled.',
      }),
    ),
  },
  {
    description: 'What to run, and on which pool.',
    'x-kubernetes-validations': [everyStepHasAnImage, servicesAndStepsNamedApart],
  },
);

const phase = stringEnum(['Queued', 'Pending', 'Running', 'Succeeded', 'Failed', 'Cancelled', 'TimedOut'], {
  description:
    'Where the run is: Queued (waiting for room in its pool), Pending (its pod is starting), Running, or finished: Succeeded, Failed, Cancelled, TimedOut.',
});

const reason = (what: string) =>
  Type.String({
    pattern: patterns.conditionReason,
    maxLength: 1024,
    description: `Why ${what} is where it is: a CamelCase word for programs.`,
  });

const stepStatus = object(
  {
    name: Type.String({ maxLength: 63, description: 'Name of the step.' }),
    state: stringEnum(['waiting', 'running', 'succeeded', 'failed', 'skipped'], {
      description:
        'waiting, running, succeeded, failed, or skipped (an earlier step failed and stopped the run).',
    }),
    exitCode: Type.Optional(int32({ description: 'Exit code of the step’s container, once it ended.' })),
    startedAt: Type.Optional(timestamp('When the step started.')),
    finishedAt: Type.Optional(timestamp('When the step ended.')),
    reason: Type.Optional(reason('the step')),
    message: Type.Optional(
      Type.String({ maxLength: 32768, description: 'What happened to the step, for humans.' }),
    ),
  },
  { description: 'How one step went.' },
);

const attemptStatus = object(
  {
    attempt: int32({ minimum: 1, description: 'Number of the attempt, from 1.' }),
    podName: Type.Optional(Type.String({ description: 'The runner pod of this attempt.' })),
    nodeName: Type.Optional(Type.String({ description: 'The node the pod ran on.' })),
    startTime: Type.Optional(timestamp('When the attempt’s pod was created.')),
    completionTime: Type.Optional(timestamp('When the attempt ended.')),
    phase: Type.Optional(phase),
    reason: Type.Optional(reason('the attempt')),
    message: Type.Optional(
      Type.String({ maxLength: 32768, description: 'How the attempt ended, for humans.' }),
    ),
    countsAgainstLimit: Type.Optional(
      Type.Boolean({
        description:
          'Whether the attempt used up one of spec.retries.limit: false when the infrastructure failed it (a node gone, a pod evicted).',
      }),
    ),
  },
  { description: 'One attempt at the run: one runner pod.' },
);

const status = object(
  {
    phase: Type.Optional(phase),
    reason: Type.Optional(reason('the run')),
    message: Type.Optional(Type.String({ maxLength: 32768, description: 'Where the run is, for humans.' })),
    conditions: Type.Optional(
      conditions(
        'Admitted (the pool accepted the run) and Succeeded (Unknown while it runs, then True or False), each with a reason and a message.',
      ),
    ),
    podName: Type.Optional(Type.String({ description: 'The runner pod of the current attempt.' })),
    nodeName: Type.Optional(Type.String({ description: 'The node the current attempt runs on.' })),
    startTime: Type.Optional(timestamp('When the first attempt started.')),
    completionTime: Type.Optional(timestamp('When the run finished.')),
    duration: Type.Optional(
      duration({
        description:
          'How long the run took from startTime to completionTime ("1m23s"); set when it finishes.',
      }),
    ),
    attempt: Type.Optional(
      int32({
        minimum: 1,
        description: 'Number of the current (or last) attempt, from 1; every runner pod is one.',
      }),
    ),
    currentStep: Type.Optional(Type.String({ maxLength: 63, description: 'The step running now.' })),
    queuePosition: Type.Optional(
      int32({ minimum: 1, description: 'Place in the pool’s queue while Queued; 1 starts next.' }),
    ),
    observedGeneration: Type.Optional(
      int64({ minimum: 0, description: 'The metadata.generation this status describes.' }),
    ),
    steps: Type.Optional(
      Type.Array(stepStatus, {
        description: 'How each step of the current attempt went, in the order of spec.steps.',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
    ),
    attempts: Type.Optional(
      Type.Array(attemptStatus, {
        description: 'Every attempt so far, oldest first.',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['attempt'],
      }),
    ),
  },
  { description: 'What the operator observed of the run; written only by the operator.' },
);

export const pipelineRunSchema = customResource({
  description:
    'A PipelineRun is one CI job: it checks out a source, runs its steps in order in one runner pod on a node of its NodePool, with services beside them, and reports how each step went. Its runner pod gets only these of the run’s metadata: annotations under pod.furrow.dev/ (and the simulation’s sim.furrow.dev/), and labels that are unprefixed without a dot or under pod.furrow.dev/; any other key (Kubernetes’, a runtime’s, Multus’, Calico’s, kube2iam’s, Istio’s, ...) stays on the run.',
  spec,
  status,
});

export const pipelineRunPrinterColumns: PrinterColumn[] = [
  { name: 'Pool', type: 'string', jsonPath: '.spec.pool', description: 'The NodePool the run runs on.' },
  { name: 'Status', type: 'string', jsonPath: '.status.phase', description: 'The phase of the run.' },
  { name: 'Reason', type: 'string', jsonPath: '.status.reason', description: 'Why the run is in its phase.' },
  { name: 'Node', type: 'string', jsonPath: '.status.nodeName', description: 'The node running the run.' },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  { name: 'Duration', type: 'string', jsonPath: '.status.duration', description: 'How long the run took.' },
  {
    name: 'Step',
    type: 'string',
    jsonPath: '.status.currentStep',
    priority: 1,
    description: 'The step running now.',
  },
  {
    name: 'Attempt',
    type: 'integer',
    jsonPath: '.status.attempt',
    priority: 1,
    description: 'The current attempt.',
  },
];

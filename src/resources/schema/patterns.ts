// Regular expressions shared by the schema (as `pattern`) and by CEL rules (in `matches()`).
// They are strings, not RegExp literals, because the same text must mean the same thing to
// Go's RE2 (the API server) and to JavaScript (ajv with the `u` flag): keep to the syntax both
// share (no lookaround, no backreferences).

/** RFC 1123 label: container names, step and service names. */
export const dnsLabel = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

/** RFC 1123 subdomain: object names, service accounts, runtime and priority classes. */
export const dnsSubdomain = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

/** A label key or taint key: optional DNS-subdomain prefix and '/', then a name of ≤ 63 characters. */
export const qualifiedName =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$';

/** A label value (length is limited separately, to 63). May be empty. */
export const labelValue = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';

/** What Go's time.ParseDuration accepts, minus signs: "90s", "1h30m", "1.5h". */
export const goDuration = '^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$';

/**
 * A resource.Quantity as a string ("500m", "2Gi", "1e3"). Unlike apimachinery's pattern it has
 * no sign: a negative request or limit is always a mistake.
 */
export const quantity =
  '^(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

/** metav1.Condition's reason: CamelCase, as machines compare it. */
export const conditionReason = '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$';

/** metav1.Condition's type: a qualified name whose name part may be CamelCase. */
export const conditionType =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$';

/** An environment variable name, as the core API has long accepted them. */
export const envVarName = '^[-._a-zA-Z][-._a-zA-Z0-9]*$';

/** An IANA service name, as a container port's name must be. */
export const portName = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

/** Remote URLs git clones from: a scheme it speaks, or the scp-like user@host:path form. */
export const gitUrl = '^((https?|ssh|git|file)://[^\\s]+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\\s]+)$';

/** The git URLs that go over SSH: ssh://, or scp-like user@host:path. */
export const sshGitUrl = '^(ssh://|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:)';

/** The git URLs credentials apply to: http(s) and SSH. */
export const authenticatedGitUrl = '^(https?://|ssh://|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:)';

/**
 * An image reference as a container runtime reads one (registry/name:tag@digest): printable
 * ASCII without spaces. The API server itself only refuses surrounding spaces, so a reference
 * a kubelet can never pull would otherwise wait out the pending timeout.
 */
export const imageReference = '^[!-~]+$';

/** A path from the filesystem root. */
export const absolutePath = '^/';

/**
 * A git revision: a single word (revisions never contain whitespace) that doesn't start with -,
 * which git would read as an option.
 */
export const gitRevision = '^[^-\\s]\\S*$';

/** RFC 3339 date-time as metav1.Time serialises it; ajv's stand-in for OpenAPI's date-time format. */
export const rfc3339 =
  '^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$';

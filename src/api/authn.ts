// Who is asking. furrow-api is reached only through the kube-apiserver's aggregator, which has
// authenticated the user (any kubeconfig method) and passes the identity in X-Remote-* headers.
// Those headers are believed only from a client certificate signed by the front proxy's CA
// with an allowed name, exactly as the kube-apiserver's own requestheader authenticator does;
// the CA, names and header names come from kube-system/extension-apiserver-authentication.
import type { IncomingHttpHeaders } from 'node:http';

export interface FrontProxyConfig {
  /** PEM bundle of the front proxy's client CA. */
  clientCA: string;
  /** Common names the proxy's client certificate may have; empty: any the CA signed. */
  allowedNames: string[];
  usernameHeaders: string[];
  groupHeaders: string[];
  extraHeaderPrefixes: string[];
}

export interface UserInfo {
  username: string;
  groups: string[];
  extra: Record<string, string[]>;
}

export type Authentication = { user: UserInfo } | { refused: string };

/** The front-proxy settings from the extension-apiserver-authentication ConfigMap's data. */
export function frontProxyConfigFrom(data: Record<string, string> | undefined): FrontProxyConfig | undefined {
  const clientCA = data?.['requestheader-client-ca-file'];
  if (!data || !clientCA) return undefined;
  const list = (key: string, fallback: string[]): string[] => {
    const raw = data[key];
    if (raw === undefined || raw === '') return fallback;
    try {
      const parsed: unknown = JSON.parse(raw);
      return Array.isArray(parsed) ? parsed.filter((v): v is string => typeof v === 'string') : fallback;
    } catch {
      return fallback;
    }
  };
  return {
    clientCA,
    allowedNames: list('requestheader-allowed-names', []),
    usernameHeaders: list('requestheader-username-headers', ['X-Remote-User']),
    groupHeaders: list('requestheader-group-headers', ['X-Remote-Group']),
    extraHeaderPrefixes: list('requestheader-extra-headers-prefix', ['X-Remote-Extra-']),
  };
}

export interface PeerCertificate {
  /** The TLS layer verified the chain against config.clientCA. */
  authorized: boolean;
  commonName: string | undefined;
}

function values(headers: IncomingHttpHeaders, name: string): string[] {
  const v = headers[name.toLowerCase()];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Pure: the user the request speaks for, or why it is refused. */
export function authenticate(
  peer: PeerCertificate,
  headers: IncomingHttpHeaders,
  config: FrontProxyConfig,
): Authentication {
  if (!peer.authorized)
    return {
      refused:
        'no client certificate signed by the front proxy CA: call furrow-api through the Kubernetes API server',
    };
  if (config.allowedNames.length > 0 && !config.allowedNames.includes(peer.commonName ?? ''))
    return { refused: `client certificate CN "${peer.commonName ?? ''}" is not an allowed front proxy name` };
  // The username header's value is one name (never comma-split: names may contain commas).
  const username = config.usernameHeaders
    .map((h) => headers[h.toLowerCase()])
    .map((v) => (Array.isArray(v) ? v[0] : v))
    .find((v): v is string => typeof v === 'string' && v !== '');
  if (!username) return { refused: `the front proxy sent no user (${config.usernameHeaders.join(', ')})` };
  const groups = config.groupHeaders.flatMap((h) => values(headers, h));
  const extra: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    const prefix = config.extraHeaderPrefixes.find((p) => name.startsWith(p.toLowerCase()));
    if (!prefix || value === undefined) continue;
    let key: string;
    try {
      key = decodeURIComponent(name.slice(prefix.length)).toLowerCase();
    } catch {
      continue;
    }
    extra[key] = [...(extra[key] ?? []), ...(Array.isArray(value) ? value : [value])];
  }
  return { user: { username, groups, extra } };
}

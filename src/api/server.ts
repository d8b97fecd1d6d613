// furrow-api's HTTPS servers: one per bind address, all with the same handler. Client
// certificates are requested but not required (health checks come without one); the front
// proxy's CA is the only CA trusted for them, swapped in when the cluster's settings change.
import https from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { PeerCertificate } from './authn.ts';

export interface Tls {
  cert: string;
  key: string;
  /** The front proxy's client CA; undefined until read. */
  clientCA: string | undefined;
}

function secureContext(tls: Tls): https.ServerOptions {
  return { cert: tls.cert, key: tls.key, ...(tls.clientCA ? { ca: tls.clientCA } : {}) };
}

export function createApiServer(tls: Tls, handler: Parameters<typeof https.createServer>[1]): Server {
  const server = https.createServer(
    { ...secureContext(tls), requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' },
    handler,
  );
  // A slow or idle client must not hold a socket forever; log follows keep theirs open.
  server.headersTimeout = 30_000;
  server.requestTimeout = 0;
  return server;
}

export function updateTls(server: Server, tls: Tls): void {
  server.setSecureContext(secureContext(tls));
}

/** What the TLS layer verified of the client's certificate. */
export function peerOf(req: IncomingMessage): PeerCertificate {
  const socket = req.socket as TLSSocket;
  const authorized = socket.authorized;
  const cert = authorized ? socket.getPeerCertificate() : undefined;
  const cn = cert?.subject.CN;
  return { authorized, commonName: Array.isArray(cn) ? cn[0] : cn };
}

export async function listenOn(server: Server, port: number, address: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

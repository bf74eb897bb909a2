// TLS to a forwarding target, from files (a mounted Secret): the CA bundle to trust, a client
// certificate and key for mutual TLS, and the name the target's certificate must carry. Read when
// the target's sender is made; the operator rolls the pods when the Secrets change.
import { readFileSync } from 'node:fs';

export interface TargetTlsFiles {
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
  serverName?: string | undefined;
}

export interface ClientTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** SNI and the name checked against the certificate; unset = the URL's host. */
  servername?: string;
}

function read(setting: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`tls.${setting} ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
}

/** The files' contents; an unreadable file is an error naming the setting and the path. */
export function loadClientTls(files: TargetTlsFiles | undefined): ClientTls {
  if (!files) return {};
  return {
    ...(files.caFile ? { ca: read('caFile', files.caFile) } : {}),
    ...(files.certFile ? { cert: read('certFile', files.certFile) } : {}),
    ...(files.keyFile ? { key: read('keyFile', files.keyFile) } : {}),
    ...(files.serverName ? { servername: files.serverName } : {}),
  };
}

/** A TLS handshake failure in words a reader of a dead letter understands. */
export function describeTlsError(error: NodeJS.ErrnoException): string | undefined {
  const code = error.code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_|ERR_TLS|ERR_SSL|EPROTO/.test(code) || /certificate|handshake|alert/i.test(error.message)) {
    return `TLS handshake with the target failed (${code || 'tls'}): ${error.message}`;
  }
  return undefined;
}

// TLS for the gateway's servers from mounted certificate files (a kubernetes.io/tls Secret),
// re-read when they change so a renewed certificate is used for new connections without a
// restart. HTTP: Node's setSecureContext. gRPC: grpc-js's file-watching certificate provider,
// with client certificates required and verified against clientCaFile when it is set.
import { readFileSync, statSync } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import * as grpc from '@grpc/grpc-js';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  clientCaFile?: string | undefined;
  reloadIntervalMs: number;
}

export interface TlsPair {
  cert: Buffer;
  key: Buffer;
}

export function readPair(files: TlsFiles): TlsPair {
  return { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) };
}

/**
 * Polls the certificate and key; when either changes (mtime or size) and the pair loads, the
 * server takes it for new connections. A pair that does not load (mid-rotation, one file
 * written before the other) is tried again at the next poll; the running context stays.
 */
export function watchHttpsCertificates(server: HttpsServer, files: TlsFiles, onError: (message: string) => void, onReload: () => void): () => void {
  const stamp = () =>
    [files.certFile, files.keyFile]
      .map((file) => {
        const stat = statSync(file);
        return `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
      })
      .join('|');
  let last = stamp();
  const timer = setInterval(() => {
    let current: string;
    try {
      current = stamp();
    } catch (error) {
      onError(`cannot read the TLS files: ${(error as Error).message}`);
      return;
    }
    if (current === last) return;
    try {
      server.setSecureContext(readPair(files));
      last = current;
      onReload();
    } catch (error) {
      onError(`the TLS files changed but do not load as a pair: ${(error as Error).message}`);
    }
  }, files.reloadIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** gRPC server credentials that follow the files; mutual TLS when a client CA is given. */
export function grpcServerCredentials(files: TlsFiles): grpc.ServerCredentials {
  const identity = new grpc.experimental.FileWatcherCertificateProvider({
    certificateFile: files.certFile,
    privateKeyFile: files.keyFile,
    refreshIntervalMs: files.reloadIntervalMs,
  });
  const clientCa = files.clientCaFile
    ? new grpc.experimental.FileWatcherCertificateProvider({ caCertificateFile: files.clientCaFile, refreshIntervalMs: files.reloadIntervalMs })
    : null;
  // grpc-js names this function's parameters (caProvider, identityProvider) but passes them on to
  // the credentials as (identity, ca): the identity provider goes first.
  return grpc.experimental.createCertificateProviderServerCredentials(
    identity as unknown as grpc.experimental.CertificateProvider,
    clientCa as unknown as grpc.experimental.CertificateProvider,
    clientCa !== null,
  );
}

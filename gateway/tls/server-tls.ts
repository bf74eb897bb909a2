// TLS for the gateway's servers from mounted certificate files (a kubernetes.io/tls Secret),
// re-read when they change so a renewed certificate is used for new connections without a
// restart. HTTP: the gateway's watched files and Node's setSecureContext. gRPC: grpc-js's own
// file-watching certificate provider (the library's way to renew a server's certificate),
// with client certificates required and verified against clientCaFile when it is set.
import { readFileSync } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import { createSecureContext } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { WatchedFiles } from '../files/watched-files.js';

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
 * Keeps the server's certificate current (files/watched-files.ts): when the certificate or key
 * changes and the pair loads, the server takes it for new connections. A pair that does not load
 * (mid-rotation, one file written before the other) keeps the running context until the files
 * change again.
 */
export function watchHttpsCertificates(server: HttpsServer, files: TlsFiles, onError: (message: string) => void, onReload: () => void): () => void {
  const watched = new WatchedFiles<TlsPair>({
    paths: [files.certFile, files.keyFile],
    parse: ([cert, key]) => {
      const pair = { cert: Buffer.from(cert!.content), key: Buffer.from(key!.content) };
      createSecureContext(pair); // throws when the two do not belong together
      return pair;
    },
    intervalMs: files.reloadIntervalMs,
    onError,
    onReload: (pair) => {
      server.setSecureContext(pair);
      onReload();
    },
  });
  return () => watched.close();
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

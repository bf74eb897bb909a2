// Throwaway certificates made with openssl, for TLS tests: a CA, server certificates for
// 127.0.0.1, and client certificates (from this CA or another).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EC_KEY, openssl, signCertificate } from '../../harness/pki.js';

export interface Pem {
  cert: Buffer;
  key: Buffer;
}

export function makeCa(dir: string, name: string): Pem & { name: string } {
  openssl(['req', '-x509', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`], dir);
  return { name, cert: readFileSync(join(dir, `${name}.crt`)), key: readFileSync(join(dir, `${name}.key`)) };
}

/** A certificate signed by `ca`; `server` ones hold SAN IP:127.0.0.1, DNS:localhost. */
export function issue(dir: string, ca: { name: string }, name: string, kind: 'server' | 'client'): Pem {
  const extensions =
    kind === 'server' ? ['subjectAltName=IP:127.0.0.1,DNS:localhost', 'extendedKeyUsage=serverAuth'] : ['extendedKeyUsage=clientAuth'];
  signCertificate(dir, ca.name, name, `/CN=${name}`, extensions, 2);
  return { cert: readFileSync(join(dir, `${name}.crt`)), key: readFileSync(join(dir, `${name}.key`)) };
}

/** Replaces a file in one step (write beside it, rename), as a Secret volume update does. */
export function replaceFile(path: string, content: Buffer): void {
  writeFileSync(`${path}.next`, content);
  renameSync(`${path}.next`, path);
}

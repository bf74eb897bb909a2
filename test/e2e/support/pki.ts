// Throwaway certificates made with openssl, for TLS tests: a CA, server certificates for
// 127.0.0.1, and client certificates (from this CA or another).
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: 'pipe' });
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

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
  openssl(['req', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
  const extensions = kind === 'server' ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' : 'extendedKeyUsage=clientAuth\n';
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca.name}.crt`,
      '-CAkey',
      `${ca.name}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    ],
    dir,
  );
  return { cert: readFileSync(join(dir, `${name}.crt`)), key: readFileSync(join(dir, `${name}.key`)) };
}

/** Replaces a file in one step (write beside it, rename), as a Secret volume update does. */
export function replaceFile(path: string, content: Buffer): void {
  writeFileSync(`${path}.next`, content);
  renameSync(`${path}.next`, path);
}

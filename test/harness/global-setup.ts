// vitest globalSetup for the `integration` project: one `api` control plane (etcd + kube-apiserver) per
// run, unless KUBECONFIG_TEST points at an existing cluster. Tests read the path with inject('kubeconfig').
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { startControlPlane } from './control-plane.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Absolute path of an admin kubeconfig for the test cluster. */
    kubeconfig: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const existing = process.env.KUBECONFIG_TEST;
  if (existing !== undefined && existing !== '') {
    const path = resolve(existing);
    if (!existsSync(path)) throw new Error(`KUBECONFIG_TEST=${existing}: no such file`);
    project.provide('kubeconfig', path);
    return async () => undefined;
  }
  const started = Date.now();
  const cp = await startControlPlane({
    profile: 'api',
    log: (message) => process.stderr.write(`[control-plane] ${message}\n`),
  });
  process.stderr.write(`[control-plane] api profile up in ${Date.now() - started} ms\n`);
  project.provide('kubeconfig', cp.kubeconfigPath);
  return async () => {
    await cp.stop();
  };
}

// WATCH_NAMESPACES: an operator watching some namespaces leaves the others alone; and the
// operator's own endpoints report what it is doing.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createNamespace, installCrds, waitUntil } from '../../harness/index.js';
import { CRD_DIR } from '../../../src/paths.js';
import { kube, startTestOperator, type TestOperator } from './support.js';

const kubeconfig = inject('kubeconfig');
const k = kube(kubeconfig);
let operator: TestOperator;
let watched: string;
let ignored: string;

beforeAll(async () => {
  await installCrds(kubeconfig, CRD_DIR);
  watched = await createNamespace(kubeconfig, 'watched');
  ignored = await createNamespace(kubeconfig, 'ignored');
  operator = await startTestOperator(kubeconfig, { WATCH_NAMESPACES: watched });
});
afterAll(async () => {
  await operator?.stop();
});

describe('WATCH_NAMESPACES', () => {
  it('reconciles McpServers in the watched namespaces only', async () => {
    await k.apply({ kind: 'McpServer', metadata: { name: 'in-scope', namespace: ignored }, spec: {} });
    await k.apply({ kind: 'McpServer', metadata: { name: 'in-scope', namespace: watched }, spec: {} });
    await waitUntil('watched server reconciled', () => k.read('apps/v1', 'Deployment', watched, 'in-scope'), 20_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await k.read('apps/v1', 'Deployment', ignored, 'in-scope')).toBeUndefined();
    expect((await k.getCustom('McpServer', ignored, 'in-scope'))?.status).toBeUndefined();
  });

  it("counts reconciles in controller-runtime's metric names", async () => {
    const text = await operator.operator.registry.metrics();
    expect(text).toMatch(/controller_runtime_reconcile_total\{controller="mcpserver",result="success"\} [1-9]/);
    expect(text).toContain('workqueue_depth{name="mcpserver"}');
  });
});

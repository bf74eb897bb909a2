// crds/ is generated from src/api: this fails when someone edits one without the other.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mcpRouteCrd, mcpServerCrd, renderCrdFiles } from '../../../src/api/index.js';
import type { JsonSchemaProps } from '../../../src/api/schema-builder.js';
import { CHART_CRD_DIR, CRD_DIR } from '../../../src/paths.js';

describe('crds/', () => {
  it('matches what src/api generates (run `make crds` after changing the API)', () => {
    const generated = renderCrdFiles();
    const onDisk = readdirSync(CRD_DIR).filter((name) => name.endsWith('.yaml'));
    expect(onDisk.sort()).toEqual([...generated.keys()].sort());
    for (const [name, text] of generated) expect(readFileSync(join(CRD_DIR, name), 'utf8'), name).toBe(text);
  });

  it("are the Helm chart's CRDs too (charts/tas-mcp/crds, without the kustomization)", () => {
    const generated = renderCrdFiles();
    generated.delete('kustomization.yaml');
    expect(readdirSync(CHART_CRD_DIR).sort()).toEqual([...generated.keys()].sort());
    for (const [name, text] of generated) expect(readFileSync(join(CHART_CRD_DIR, name), 'utf8'), name).toBe(text);
  });
});

/** Structural schema rules the API server enforces: every node has a type (or is int-or-string /
 * preserve-unknown), and properties and additionalProperties never meet. */
function structuralProblems(schema: JsonSchemaProps, path: string): string[] {
  const problems: string[] = [];
  if (!schema.type && !schema['x-kubernetes-int-or-string'] && !schema['x-kubernetes-preserve-unknown-fields']) {
    problems.push(`${path}: no type`);
  }
  if (schema.properties && schema.additionalProperties) problems.push(`${path}: properties with additionalProperties`);
  if (schema.type === 'array' && !schema.items) problems.push(`${path}: array without items`);
  for (const [key, child] of Object.entries(schema.properties ?? {})) problems.push(...structuralProblems(child, `${path}.${key}`));
  if (schema.items) problems.push(...structuralProblems(schema.items, `${path}[]`));
  if (schema.additionalProperties) problems.push(...structuralProblems(schema.additionalProperties, `${path}{}`));
  return problems;
}

describe('the CRD schemas', () => {
  it.each([
    ['McpServer', mcpServerCrd],
    ['McpRoute', mcpRouteCrd],
  ])('%s is structural', (_kind, definition) => {
    expect(structuralProblems(definition.spec.versions[0]!.schema.openAPIV3Schema, '')).toEqual([]);
  });

  it('says int-or-string in the description of every int-or-string field (kubectl explain shows no type for them)', () => {
    const unsaid: string[] = [];
    const walk = (schema: JsonSchemaProps, path: string): void => {
      if (schema['x-kubernetes-int-or-string'] && !schema.description?.includes('int-or-string')) unsaid.push(path);
      for (const [key, child] of Object.entries(schema.properties ?? {})) walk(child, `${path}.${key}`);
      if (schema.items) walk(schema.items, `${path}[]`);
      if (schema.additionalProperties) walk(schema.additionalProperties, `${path}{}`);
    };
    let seen = 0;
    for (const definition of [mcpServerCrd, mcpRouteCrd]) {
      const root = definition.spec.versions[0]!.schema.openAPIV3Schema;
      walk(root, definition.spec.names.kind);
      seen += JSON.stringify(root).split('"x-kubernetes-int-or-string":true').length - 1;
    }
    expect(seen).toBeGreaterThanOrEqual(3); // maxEventSize, resources.requests and .limits values
    expect(unsaid).toEqual([]);
    const limits = mcpServerCrd.spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!.properties!.limits!.properties!;
    expect(limits.maxEventSize!['x-kubernetes-int-or-string']).toBe(true);
  });

  it('McpServer has the status and scale subresources, printer columns and short name', () => {
    const version = mcpServerCrd.spec.versions[0]!;
    expect(version.subresources).toMatchObject({ status: {}, scale: { specReplicasPath: '.spec.replicas' } });
    expect(version.additionalPrinterColumns.map((c) => c.name)).toEqual([
      'Ready',
      'Replicas',
      'Endpoint',
      'Peers',
      'Routes',
      'Bus',
      'SharedLog',
      'Age',
    ]);
    expect(mcpServerCrd.spec.names.shortNames).toEqual(['mcps']);
    expect(mcpRouteCrd.spec.names.shortNames).toEqual(['mcpr']);
  });

  it('McpServer spec.observability.tracing is explained (kubectl explain) and checked by the API server', () => {
    const spec = mcpServerCrd.spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!;
    const tracing = spec.properties!.observability!.properties!.tracing!;
    expect(tracing.description).toMatch(/OpenTelemetry tracing/);
    expect(tracing.required).toEqual(['endpoint']);
    const fields = tracing.properties!;
    expect(fields.endpoint!.description).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(new RegExp(fields.endpoint!.pattern!).test('http://jaeger-collector.observability:4318')).toBe(true);
    expect(new RegExp(fields.endpoint!.pattern!).test('jaeger:4318')).toBe(false);
    expect(fields.samplingRatio).toMatchObject({ type: 'number', minimum: 0, maximum: 1 });
    expect(fields.samplingRatio!.description).toMatch(/OTEL_TRACES_SAMPLER_ARG/);
    expect(fields.serviceName!.description).toMatch(/OTEL_SERVICE_NAME/);
    expect(fields.resourceAttributes!.description).toMatch(/OTEL_RESOURCE_ATTRIBUTES/);
  });
});

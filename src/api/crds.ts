// CustomResourceDefinition manifests, built from the schemas in this folder. crds/ holds their
// YAML, written by `make crds` and checked against this by a test, never edited by hand.
import { stringify } from 'yaml';
import { GROUP, VERSION } from './common.js';
import { mcpRouteSpecSchema, mcpRouteStatusSchema } from './mcp-route.js';
import { mcpServerSpecSchema, mcpServerStatusSchema } from './mcp-server.js';
import type { JsonSchemaProps } from './schema-builder.js';

interface CrdNames {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
}

interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'date' | 'boolean';
  jsonPath: string;
  description?: string;
  priority?: number;
}

function topLevelSchema(description: string, spec: JsonSchemaProps, status: JsonSchemaProps): JsonSchemaProps {
  return {
    type: 'object',
    description,
    properties: {
      apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
      kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
      metadata: { type: 'object' },
      spec,
      status,
    },
    required: ['spec'],
  };
}

/**
 * kubectl explain prints the `type` of a field, and an int-or-string field of a CRD has none
 * (the API server forbids it there), so it shows `<Object>`. Say it in the description instead,
 * where explain shows it too; maps of them (resource lists) say so as well.
 */
export const INT_OR_STRING_NOTE = '(int-or-string: a whole number, or a string such as "1Mi")';

function describeIntOrString(schema: JsonSchemaProps): JsonSchemaProps {
  const out: JsonSchemaProps = { ...schema };
  const values = schema.additionalProperties;
  if (schema['x-kubernetes-int-or-string'] || values?.['x-kubernetes-int-or-string']) {
    const subject = schema['x-kubernetes-int-or-string'] ? '' : 'Each value ';
    out.description = [schema.description, `${subject}${INT_OR_STRING_NOTE}`.trim()].filter(Boolean).join(' ');
  }
  if (schema.properties) out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, describeIntOrString(v)]));
  if (schema.items) out.items = describeIntOrString(schema.items);
  if (values) out.additionalProperties = describeIntOrString(values);
  return out;
}

function crd(
  names: CrdNames,
  schema: JsonSchemaProps,
  columns: PrinterColumn[],
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath: string },
) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${names.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: { ...names, listKind: `${names.kind}List`, categories: ['mcp'] },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: describeIntOrString(schema) },
          subresources: { status: {}, ...(scale ? { scale } : {}) },
          additionalPrinterColumns: columns,
        },
      ],
    },
  };
}

const condition = (type: string) => `.status.conditions[?(@.type=="${type}")].status`;

export const mcpServerCrd = crd(
  { kind: 'McpServer', plural: 'mcpservers', singular: 'mcpserver', shortNames: ['mcps'] },
  topLevelSchema(
    'McpServer runs a TAS MCP gateway: HTTP and gRPC ingest, streaming to subscribers, forwarding to peers.',
    mcpServerSpecSchema.describe('Desired state of the gateway.').props,
    mcpServerStatusSchema.describe('Observed state, written by the operator.').props,
  ),
  [
    { name: 'Ready', type: 'string', jsonPath: condition('Ready') },
    { name: 'Replicas', type: 'integer', jsonPath: '.status.readyReplicas', description: 'Ready gateway pods' },
    { name: 'Endpoint', type: 'string', jsonPath: '.status.endpoint' },
    { name: 'Peers', type: 'integer', jsonPath: '.status.resolvedPeers', description: 'Peers with a resolved address' },
    { name: 'Routes', type: 'integer', jsonPath: '.status.attachedRoutes', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
  { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' },
);

export const mcpRouteCrd = crd(
  { kind: 'McpRoute', plural: 'mcproutes', singular: 'mcproute', shortNames: ['mcpr'] },
  topLevelSchema(
    'McpRoute sends the events of an McpServer that match it to targets, with a delivery policy.',
    mcpRouteSpecSchema.describe('Which events go where.').props,
    mcpRouteStatusSchema.describe('Observed state, written by the operator.').props,
  ),
  [
    { name: 'Server', type: 'string', jsonPath: '.spec.serverRef.name' },
    { name: 'Accepted', type: 'string', jsonPath: condition('Accepted') },
    { name: 'ResolvedRefs', type: 'string', jsonPath: condition('ResolvedRefs') },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
);

/** File name in crds/ to YAML text, as `make crds` writes them, with a kustomization listing them
 * (config/crd builds on it). */
export function renderCrdFiles(): Map<string, string> {
  const header = '# Generated from src/api by `make crds`. Do not edit by hand.\n';
  const files = new Map(
    [mcpServerCrd, mcpRouteCrd].map((definition) => [
      `${GROUP}_${definition.spec.names.plural}.yaml`,
      header + stringify(definition, { lineWidth: 0 }),
    ]),
  );
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: [...files.keys()].sort(),
  };
  files.set('kustomization.yaml', header + stringify(kustomization));
  return files;
}

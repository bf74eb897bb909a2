// The rendered config as `make run` runs it: loopback ports, peers at their local ports, and a
// cluster NATS (config/nats, an Argo EventBus) at the local nats-server, which takes no
// credentials and has one node.
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { localGatewayConfig, usesClusterNats } from '../../../tools/local-run/local-config.js';
import { parseConfig } from '../../../src/config/index.js';

const own = { http: 9000, grpc: 9001, health: 9002 };
const book = new Map([['team-b/beta', { http: 9100, grpc: 9101, health: 9102 }]]);
const rendered = (bus: unknown) =>
  stringify({
    server: { host: '0.0.0.0', httpPort: 8080 },
    identity: { id: 'team-c/gamma' },
    forwarding: { targets: [{ url: 'http://beta.team-b.svc.cluster.local:8080', id: 'team-b/beta' }] },
    bus,
  });

describe('localGatewayConfig', () => {
  it('maps a cluster NATS to the local server, dropping credentials, TLS and extra stream copies it cannot serve', () => {
    const yaml = rendered({
      type: 'jetstream',
      jetstream: {
        urls: ['nats://eventbus-default-js-svc.team-c.svc:4222'],
        credentials: { basicAuthFile: '/etc/tas-mcp/secrets/nats-credentials/client-auth' },
        tls: { caFile: '/etc/tas-mcp/secrets/nats-ca/ca.crt' },
        stream: { replicas: 3, maxAge: '1h' },
      },
    });
    expect(usesClusterNats(yaml)).toBe(true);
    const local = parseConfig(parse(localGatewayConfig(yaml, own, book, ['nats://127.0.0.1:4999'])));
    expect(local.bus.jetstream).toMatchObject({
      urls: ['nats://127.0.0.1:4999'],
      credentials: {},
      tls: {},
      stream: { replicas: 1, maxAge: 3_600_000 },
    });
    expect(local.server).toMatchObject({ host: '127.0.0.1', httpPort: 9000, grpcPort: 9001, healthPort: 9002 });
    expect(local.forwarding.targets[0]!.url).toBe('http://127.0.0.1:9100');
    expect(local.identity.id).toBe('team-c/gamma'); // replicas share the stream through their identity
  });

  it('leaves a NATS outside the cluster, and the memory bus, as they are', () => {
    const external = rendered({ type: 'jetstream', jetstream: { urls: ['tls://nats.example.com:4222'], credentials: { tokenFile: '/t' } } });
    expect(usesClusterNats(external)).toBe(false);
    expect(parse(localGatewayConfig(external, own, book, ['nats://127.0.0.1:4999'])).bus).toEqual(parse(external).bus);
    expect(usesClusterNats(rendered(undefined))).toBe(false);
    expect(parse(localGatewayConfig(rendered(undefined), own, book))).not.toHaveProperty('bus');
  });
});

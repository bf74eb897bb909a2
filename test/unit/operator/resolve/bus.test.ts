// spec.bus resolved: memory, a NATS named by URL with its Secret files, and an Argo Events
// EventBus read the way Argo publishes it (status.config.jetstream), with each way it can fail
// reported as a reason and a message that names the EventBus.
import { describe, expect, it } from 'vitest';
import type { McpServer, BusSpec } from '../../../../src/api/index.js';
import { referencedEventBusKeys, resolveBus, type ArgoEventBus, type EventBusLookup } from '../../../../operator/resolve/bus.js';

const server = (bus?: BusSpec): McpServer => ({
  apiVersion: 'mcp.tas.ai/v1alpha1',
  kind: 'McpServer',
  metadata: { name: 'alpha', namespace: 'team-a' },
  spec: bus ? { bus } : {},
});
const lookup = (state: ReturnType<EventBusLookup['state']>, ...buses: ArgoEventBus[]): EventBusLookup => ({
  state: () => state,
  get: (namespace, name) => buses.find((b) => b.metadata.namespace === namespace && b.metadata.name === name),
});
const none = lookup('absent');
const onArgo = server({ type: 'jetstream', jetstream: { argoEventBus: { name: 'default' }, stream: { replicas: 3 } } });
/** An EventBus as Argo's jetstream installer leaves it. */
const argoBus = (status: ArgoEventBus['status'], spec: ArgoEventBus['spec'] = { jetstream: { version: 'latest' } }): ArgoEventBus => ({
  metadata: { name: 'default', namespace: 'team-a' },
  spec,
  status,
});
const installed = {
  config: {
    jetstream: {
      url: 'nats://eventbus-default-js-svc.team-a.svc:4222',
      accessSecret: { name: 'eventbus-default-js-client-auth', key: 'client-auth' },
    },
  },
};

describe('resolveBus', () => {
  it('is memory without a bus, and for type memory', () => {
    expect(resolveBus(server(), none)).toEqual({ bus: { type: 'memory' } });
    expect(resolveBus(server({ type: 'memory' }), none)).toEqual({ bus: { type: 'memory' } });
  });

  it('takes url or urls as given, with the credentials Secret by key and the TLS Secrets', () => {
    expect(resolveBus(server({ type: 'jetstream', jetstream: { url: 'nats://nats.nats-system.svc:4222' } }), none)).toEqual({
      bus: { type: 'jetstream', jetstream: { urls: ['nats://nats.nats-system.svc:4222'], stream: {} } },
    });
    const resolved = resolveBus(
      server({
        type: 'jetstream',
        jetstream: {
          urls: ['tls://a:4222', 'tls://b:4222'],
          credentialsSecret: { name: 'nats-user', userKey: 'username', passwordKey: 'password' },
          tls: { caSecret: { name: 'nats-ca', key: 'ca.pem' }, clientCertSecret: { name: 'nats-client' } },
          stream: { replicas: 3, maxAge: '1h' },
        },
      }),
      none,
    );
    expect(resolved.bus).toEqual({
      type: 'jetstream',
      jetstream: {
        urls: ['tls://a:4222', 'tls://b:4222'],
        credentials: {
          kind: 'userPassword',
          user: { secretName: 'nats-user', key: 'username' },
          password: { secretName: 'nats-user', key: 'password' },
        },
        tls: {
          ca: { secretName: 'nats-ca', key: 'ca.pem' },
          cert: { secretName: 'nats-client', key: 'tls.crt' },
          key: { secretName: 'nats-client', key: 'tls.key' },
        },
        stream: { replicas: 3, maxAge: '1h' },
      },
    });
    const token = resolveBus(
      server({ type: 'jetstream', jetstream: { url: 'nats://n:4222', credentialsSecret: { name: 's', tokenKey: 't' } } }),
      none,
    );
    expect(token.bus?.type === 'jetstream' && token.bus.jetstream.credentials).toEqual({ kind: 'token', token: { secretName: 's', key: 't' } });
  });

  it("reads an Argo EventBus: its client URL and its access Secret (a username/password file), with the spec's stream settings", () => {
    expect(referencedEventBusKeys(onArgo)).toEqual(['team-a/default']);
    expect(resolveBus(onArgo, lookup('ready', argoBus(installed)))).toEqual({
      bus: {
        type: 'jetstream',
        jetstream: {
          urls: ['nats://eventbus-default-js-svc.team-a.svc:4222'],
          credentials: { kind: 'basicAuth', file: { secretName: 'eventbus-default-js-client-auth', key: 'client-auth' } },
          stream: { replicas: 3 },
          eventBus: 'team-a/default',
        },
      },
    });
  });

  it("takes an exotic EventBus's several URLs and TLS Secrets", () => {
    const exotic = argoBus(
      {
        config: {
          jetstream: {
            url: 'tls://js-0.example:4222, tls://js-1.example:4222',
            tls: {
              caCertSecret: { name: 'js-ca', key: 'ca.crt' },
              clientCertSecret: { name: 'js-client', key: 'cert.pem' },
              clientKeySecret: { name: 'js-client', key: 'key.pem' },
            },
          },
        },
      },
      { jetstreamExotic: { url: 'tls://js-0.example:4222, tls://js-1.example:4222' } },
    );
    const resolved = resolveBus(onArgo, lookup('ready', exotic));
    expect(resolved.bus?.type === 'jetstream' && resolved.bus.jetstream).toMatchObject({
      urls: ['tls://js-0.example:4222', 'tls://js-1.example:4222'],
      tls: {
        ca: { secretName: 'js-ca', key: 'ca.crt' },
        cert: { secretName: 'js-client', key: 'cert.pem' },
        key: { secretName: 'js-client', key: 'key.pem' },
      },
    });
    expect(resolved.bus?.type === 'jetstream' && resolved.bus.jetstream.credentials).toBeUndefined();
  });

  it.each([
    ['Argo Events is not installed', lookup('absent'), 'EventBusAPINotInstalled', 'Argo Events is not installed'],
    ['the EventBuses cannot be listed', lookup('unreadable'), 'EventBusUnreadable', 'get, list and watch on eventbus.argoproj.io'],
    ['the EventBus does not exist', lookup('ready'), 'EventBusNotFound', 'Argo EventBus team-a/default not found'],
    [
      'the EventBus is NATS streaming',
      lookup('ready', argoBus({ config: { nats: { url: 'nats://x:4222' } } }, { nats: { native: {} } })),
      'EventBusNotJetStream',
      'is of type nats',
    ],
    ['the EventBus is Kafka', lookup('ready', argoBus({}, { kafka: { url: 'kafka:9092' } })), 'EventBusNotJetStream', 'is of type kafka'],
    ['the EventBus has published no URL yet', lookup('ready', argoBus({})), 'EventBusNotReady', 'has not published its JetStream client URL yet'],
    [
      'the URL is not NATS',
      lookup('ready', argoBus({ config: { jetstream: { url: 'http://x:4222' } } })),
      'EventBusUnusable',
      'not a nats:// or tls:// URL',
    ],
    [
      'TLS is unverified',
      lookup('ready', argoBus({ config: { jetstream: { url: 'tls://x:4222', tls: { insecureSkipVerify: true } } } })),
      'EventBusUnusable',
      'insecureSkipVerify',
    ],
    [
      'a client certificate has no key',
      lookup('ready', argoBus({ config: { jetstream: { url: 'tls://x:4222', tls: { clientCertSecret: { name: 'c', key: 'tls.crt' } } } } })),
      'EventBusUnusable',
      'needs both clientCertSecret and clientKeySecret',
    ],
  ])('reports %s', (_case, eventBuses, reason, message) => {
    const { problem } = resolveBus(onArgo, eventBuses);
    expect(problem?.reason).toBe(reason);
    expect(problem?.message).toContain(message);
  });

  it('waits while the EventBus cache fills, instead of reporting the EventBus missing', () => {
    expect(resolveBus(onArgo, lookup('syncing'))).toEqual({ pending: true });
  });
});

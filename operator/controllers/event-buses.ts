// Argo Events' EventBus, read only, for servers whose bus names one. The kind is optional (Argo
// Events may not be installed), so its informer starts only once the API server serves it: looked
// for when the controller starts and every recheckMs until then. Servers naming an EventBus are
// reconciled when it changes (an index maps each EventBus to them), and all of them once the kind
// is found, so a server told "not installed" looks again.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { McpServer } from '../../src/api/index.js';
import type { Controller, Runnable } from '../../src/kube/controller.js';
import type { Informer } from '../../src/kube/informer.js';
import type { ResourceDescriptor } from '../../src/kube/list-watch-source.js';
import { requestFor, requestFromKey, requestKey } from '../../src/kube/request.js';
import { referencedEventBusKeys, type ArgoEventBus, type EventBusLookup } from '../resolve/bus.js';
import { INDEX, type ControllerEnv } from './context.js';

export const EVENT_BUS: ResourceDescriptor = { apiVersion: 'argoproj.io/v1alpha1', kind: 'EventBus', plural: 'eventbus', namespaced: true };

/** How long one discovery request may take, and how long a found kind may take to list before
 * the servers naming an EventBus are told it cannot be read. */
const DISCOVERY_TIMEOUT_MS = 10_000;
const SYNC_PATIENCE_MS = 30_000;

export interface EventBusWatchOptions {
  controller: Controller;
  servers: Informer<McpServer & KubernetesObject>;
  /** Whether the API server serves a kind (discovery). */
  served: (resource: ResourceDescriptor) => Promise<boolean>;
  recheckMs: number;
}

export type EventBusWatch = EventBusLookup & Runnable;

export function watchEventBusesWhenServed(env: ControllerEnv, options: EventBusWatchOptions): EventBusWatch {
  const { controller, servers } = options;
  const logger = env.logger.child({ kind: EVENT_BUS.kind });
  let informer: Informer<ArgoEventBus & KubernetesObject> | undefined;
  let state: ReturnType<EventBusLookup['state']> = 'absent';
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const enqueueReferencingServers = () => {
    for (const server of servers.list()) if (referencedEventBusKeys(server).length > 0) controller.enqueue(requestFor(server));
  };

  function followSync(found: Informer<ArgoEventBus & KubernetesObject>): void {
    const impatient = setTimeout(() => {
      if (state !== 'syncing') return;
      state = 'unreadable';
      logger.error("EventBuses cannot be listed (does the operator's role allow get, list and watch on eventbus.argoproj.io?)");
      enqueueReferencingServers();
    }, SYNC_PATIENCE_MS);
    found.waitForSync().then(
      () => {
        clearTimeout(impatient);
        if (stopped) return;
        state = 'ready';
        logger.info('watching Argo Events EventBuses');
        enqueueReferencingServers();
      },
      () => clearTimeout(impatient), // stopped before it synced
    );
  }

  async function look(): Promise<void> {
    if (stopped || informer) return;
    let served = false;
    try {
      served = await Promise.race([
        options.served(EVENT_BUS),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`discovery took over ${DISCOVERY_TIMEOUT_MS} ms`)), DISCOVERY_TIMEOUT_MS).unref(),
        ),
      ]);
    } catch (error) {
      logger.warn({ err: error }, 'could not tell whether Argo Events is installed; looking again later');
    }
    if (stopped) return;
    if (!served) {
      timer = setTimeout(() => void look(), options.recheckMs);
      timer.unref();
      return;
    }
    state = 'syncing';
    const found = env.informers.informer<ArgoEventBus & KubernetesObject>(EVENT_BUS);
    informer = found;
    controller.watches(found, (eventBus) => servers.keysByIndex(INDEX.serversByEventBus, requestKey(requestFor(eventBus))).map(requestFromKey));
    found.start();
    followSync(found);
  }

  return {
    state: () => state,
    get: (namespace, name) => informer?.get(namespace, name),
    start: () => look(),
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

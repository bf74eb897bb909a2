// The controller machinery the operator and the gateway build on. See each module for details.
export {
  loadKubeConfig,
  createKubeClients,
  apiStatusCode,
  isNotFound,
  isConflict,
  isAlreadyExists,
  isGone,
  isTooManyRequests,
  retryAfterMs,
  statusReason,
  objectKey,
  splitObjectKey,
} from './client.js';
export type { KubeClients, LoadKubeConfigOptions } from './client.js';
export { KubeObjectClient } from './object-client.js';
export { systemClock, sleep } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
export { exponentialDelay, jitteredDelay, PerKeyBackoff } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { microTime, parseMicroTime } from './micro-time.js';
export { WorkQueue, DEFAULT_QUEUE_BACKOFF } from './work-queue.js';
export type { WorkQueueOptions, WorkQueueMetrics, KeyProcessor, ProcessResult, ProcessOutcome } from './work-queue.js';
export { Informer, DEFAULT_INFORMER_BACKOFF, DEFAULT_WATCHDOG_MS, withoutManagedFields } from './informer.js';
export type { InformerOptions, InformerHandlers } from './informer.js';
export { ObjectCache, keyOf } from './object-cache.js';
export type { IndexFunction } from './object-cache.js';
export { createApiListWatchSource, resourcePath } from './list-watch-source.js';
export type { ListWatchSource, ResourceDescriptor, WatchEventType, WatchHandle } from './list-watch-source.js';
export {
  Applier,
  controllerOwnerReference,
  controllerOf,
  withDesiredHash,
  isSatisfiedBy,
  containsFields,
  hashObject,
  DESIRED_HASH_ANNOTATION,
} from './apply.js';
export type { ApplierOptions, ApplyOptions, ApplyResult } from './apply.js';
export { LeaderElector, createLeaseStore, DEFAULT_LEASE_DURATION_MS, DEFAULT_RENEW_DEADLINE_MS, DEFAULT_RETRY_PERIOD_MS } from './leader-election.js';
export type { LeaderElectionOptions, LeaseStore } from './leader-election.js';
export { EventRecorder, createEventsApiWriter, aggregationKey, truncateUtf8 } from './event-recorder.js';
export type { EventRecord, EventRecorderOptions, EventRecorderStats, EventType, EventWriter } from './event-recorder.js';
export { Controller, ReconcileTimeoutError, ownerRequestMapper, referencingRequestMapper } from './controller.js';
export type { ControllerOptions, Reconcile, ReconcileResult, RequestMapper, UpdateFilter } from './controller.js';
export { requestFor, requestFromKey, requestKey } from './request.js';
export type { Request } from './request.js';
export { createControllerMetrics } from './controller-metrics.js';
export type { ControllerMetrics } from './controller-metrics.js';
export { TokenBucket } from '../limits/token-bucket.js';
export { SharedInformers } from './shared-informers.js';
export type { InformerFactory, InformerRequest } from './shared-informers.js';

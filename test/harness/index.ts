// Public API of the harness: the control plane (control-plane.ts, kube.ts), NATS servers (nats.ts) and the
// binaries test/cluster/build.sh builds for them (binaries.ts).
export {
  startControlPlane,
  stopFromState,
  isAlive,
  reapStale,
  readState,
  FAKE_NODE_NAME,
  type ControlPlane,
  type Profile,
  type StartOptions,
  type ProcessInfo,
  type StateFile,
} from './control-plane.js';
export {
  installCrds,
  applyCrd,
  waitForCrd,
  createNamespace,
  deleteNamespace,
  kubeRequest,
  loadKubeConfig,
  waitUntil,
  type KubeconfigLike,
} from './kube.js';
export { startNats, reapStaleNats, type NatsServers, type NatsNode, type NatsAuth, type NatsTls, type StartNatsOptions } from './nats.js';
export { binDir, binPath, componentBinDir, binDirVariable, pinnedKubernetesVersion, repoRoot } from './binaries.js';
export { freePort, freePorts } from './ports.js';
export { startJaeger, tagOf, type Jaeger, type JaegerSpan, type JaegerTrace, type StartJaegerOptions } from './jaeger.js';

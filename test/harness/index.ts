// Public API of the control-plane harness (see control-plane.ts and kube.ts).
export {
  startControlPlane, stopFromState, isAlive, reapStale, readState, FAKE_NODE_NAME,
  type ControlPlane, type Profile, type StartOptions, type ProcessInfo, type StateFile,
} from './control-plane.js';
export {
  installCrds, applyCrd, waitForCrd, createNamespace, deleteNamespace, kubeRequest, loadKubeConfig, waitUntil,
  type KubeconfigLike,
} from './kube.js';
export { binDir, binPath, pinnedKubernetesVersion, repoRoot, BINARIES } from './binaries.js';
export { freePort, freePorts } from './ports.js';

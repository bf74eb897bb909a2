// When two forwarding targets are the same place: the same endpoint (URL, normalised) in the same
// format. A target reached both as a peer and through routes is one target, sent each event once;
// the config may name it several times only with the same settings (id, batch, tls).

export interface TargetIdentityInput {
  url: string;
  format: string;
}

/** The endpoint and format, with the URL in one spelling (`http://b:8080` and `http://b:8080/` are one). */
export function targetKey(target: TargetIdentityInput): string {
  let url = target.url;
  try {
    const parsed = new URL(target.url);
    url = `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}${parsed.search}`;
  } catch {
    // Not a URL: the schema refuses it before anything compares keys.
  }
  return `${target.format} ${url}`;
}

/** Paths of the config's targets (`forwarding.targets[0]`, `routes[1].targets[0]`) that name one endpoint with different settings. */
export function conflictingTargets(
  peers: readonly (TargetIdentityInput & object)[],
  routes: readonly { targets: readonly (TargetIdentityInput & object)[] }[],
): { key: string; first: string; second: string } | undefined {
  const seen = new Map<string, { path: string; settings: string }>();
  const named = [
    ...peers.map((target, i) => ({ target, path: `forwarding.targets[${i}]` })),
    ...routes.flatMap((route, r) => route.targets.map((target, i) => ({ target, path: `routes[${r}].targets[${i}]` }))),
  ];
  for (const { target, path } of named) {
    const key = targetKey(target);
    const { url: _spelling, ...rest } = target as TargetIdentityInput & Record<string, unknown>;
    const settings = JSON.stringify(rest, Object.keys(rest).sort());
    const before = seen.get(key);
    if (before && before.settings !== settings) return { key, first: before.path, second: path };
    if (!before) seen.set(key, { path, settings });
  }
  return undefined;
}

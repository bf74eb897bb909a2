// Forwarding targets changed over the API (POST/PUT/DELETE /api/v1/forwarding/targets), as the Go
// reference server allows. Only a standalone gateway, configured by its environment, takes such
// changes (they last until it restarts); where targets come from a config file (which the
// operator renders for an McpServer) the file is the one truth, and changes are refused (409).
// A target added here is a route named by its id: the events it matches (every event when it
// names none) to one target, under its own delivery policy.
import { ConfigError, parseConfig, type GatewayConfig } from '../../src/config/index.js';
import { routesFromReferenceTargets } from '../../src/config/reference-targets.js';

/** Where the running targets came from. */
export type TargetsOrigin = { kind: 'file'; path: string } | { kind: 'environment' };

/** A route in the config file's shape, as a body turns into one. */
export interface RouteInput {
  name: string;
  match?: { eventTypes?: string[]; sources?: string[]; metadata?: Record<string, string> };
  targets: unknown[];
  delivery?: Record<string, unknown>;
}

export class TargetChangeError extends Error {
  constructor(
    readonly statusCode: 400 | 404 | 409,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface RuntimeTargetsOptions {
  config: GatewayConfig;
  origin: TargetsOrigin;
  /** Applies a changed config (Forwarder.configure). */
  apply: (config: GatewayConfig) => void;
  /**
   * A request body (the reference's {id, type, endpoint, config, rules}, or ours: {id, url,
   * format, batch, tls, match, delivery}) as a route named by its id; throws a ConfigError naming
   * what is wrong.
   */
  routeFromBody: (body: unknown, where: string) => RouteInput;
}

export class RuntimeTargets {
  private config: GatewayConfig;

  constructor(private readonly options: RuntimeTargetsOptions) {
    this.config = options.config;
  }

  /** Why targets cannot be changed over the API here, or undefined when they can. */
  refusal(): string | undefined {
    const { origin } = this.options;
    if (origin.kind === 'environment') return undefined;
    return (
      `this gateway's forwarding targets come from its config file ${origin.path} (reloaded when it changes) and cannot be changed over the API; ` +
      'change the file (for an McpServer, its spec.peers and McpRoutes: the operator renders the file)'
    );
  }

  add(body: unknown): string {
    this.checkChangeable();
    const route = this.parse(body);
    if (this.config.routes.some((r) => r.name === route.name) || this.config.forwarding.targets.some((t) => t.id === route.name)) {
      throw new TargetChangeError(
        409,
        'target_exists',
        `a target with id ${JSON.stringify(route.name)} exists; PUT /api/v1/forwarding/targets/{id} replaces it`,
      );
    }
    this.commit({ ...this.input(), routes: [...this.config.routes, route] });
    return route.name;
  }

  /** Replaces the target with this id (or adds it), as the reference's PUT does. */
  replace(id: string, body: unknown): string {
    this.checkChangeable();
    const route = this.parse(typeof body === 'object' && body !== null ? { ...body, id } : body);
    const input = this.without(id);
    this.commit({ ...input, routes: [...(input.routes as unknown[]), route] });
    return id;
  }

  remove(id: string): void {
    this.checkChangeable();
    const input = this.without(id);
    if (
      (input.routes as unknown[]).length === this.config.routes.length &&
      (input.forwarding as GatewayConfig['forwarding']).targets.length === this.config.forwarding.targets.length
    ) {
      throw new TargetChangeError(404, 'not_found', `no target with id ${JSON.stringify(id)}`);
    }
    this.commit(input);
  }

  private checkChangeable(): void {
    const refusal = this.refusal();
    if (refusal) throw new TargetChangeError(409, 'targets_from_config', refusal);
  }

  private parse(body: unknown): RouteInput {
    try {
      return this.options.routeFromBody(body, 'body');
    } catch (error) {
      if (error instanceof ConfigError) throw new TargetChangeError(400, 'invalid_target', error.message.replace(/^invalid configuration: /, ''));
      throw error;
    }
  }

  private input(): Record<string, unknown> {
    return { ...this.config };
  }

  /** The config without the route named `id` and the peers with that id. */
  private without(id: string): Record<string, unknown> {
    return {
      ...this.config,
      forwarding: { ...this.config.forwarding, targets: this.config.forwarding.targets.filter((t) => t.id !== id) },
      routes: this.config.routes.filter((r) => r.name !== id),
    };
  }

  private commit(input: Record<string, unknown>): void {
    let next: GatewayConfig;
    try {
      next = parseConfig(input);
    } catch (error) {
      // The new route is the last one: its settings are the body's.
      if (error instanceof ConfigError)
        throw new TargetChangeError(
          400,
          'invalid_target',
          error.message.replace(/^invalid configuration: /, '').replace(/^routes\.\d+\.(targets\.0\.)?/, 'body.'),
        );
      throw error;
    }
    this.config = next;
    this.options.apply(next);
  }
}

/**
 * A target body as a route: the Go reference server's {id, name, type, endpoint, config, rules}
 * (read as FORWARDING_TARGETS is, src/config/reference-targets.ts), or ours.
 */
export function routeFromBody(body: unknown, where: string): RouteInput {
  if (typeof body === 'object' && body !== null && !Array.isArray(body) && 'endpoint' in body) {
    try {
      return routesFromReferenceTargets([body], where)[0]!;
    } catch (error) {
      // One target in a list of one: its errors name the body, not the list's first entry.
      if (error instanceof ConfigError) throw new ConfigError(error.setting.replace(`${where}[0]`, where), error.problem);
      throw error;
    }
  }
  return routeFromOurBody(body, where);
}

/** Our shape of a target body: {id, url, format?, batch?, tls?, match?, delivery?}. */
export function routeFromOurBody(body: unknown, where: string): RouteInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ConfigError(where, 'expected a JSON object {id, url, ...}');
  const { id, url, format, batch, tls, match, delivery, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new ConfigError(`${where}.${unknown[0]}`, 'unknown key (expected id, url, format, batch, tls, match, delivery)');
  if (typeof id !== 'string' || id === '' || id.length > 256) throw new ConfigError(`${where}.id`, 'expected a name of 1 to 256 characters');
  if (typeof url !== 'string') throw new ConfigError(`${where}.url`, 'expected an http://, https://, grpc:// or grpcs:// URL');
  const target = {
    url,
    ...(format !== undefined ? { format } : {}),
    ...(batch !== undefined ? { batch } : {}),
    ...(tls !== undefined ? { tls } : {}),
  };
  return {
    name: id,
    ...(match !== undefined ? { match: match as RouteInput['match'] } : {}),
    targets: [target],
    ...(delivery !== undefined ? { delivery: delivery as Record<string, unknown> } : {}),
  };
}

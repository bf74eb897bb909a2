// A forwarding target as the config names it (src/config/schema.ts): where, in what format, and how.
import type { GatewayConfig } from '../../src/config/index.js';

export type Target = GatewayConfig['forwarding']['targets'][number];

export * from './common.js';
export * from './mcp-server.js';
export * from './mcp-route.js';
export * from './bus.js';
export { mcpServerCrd, mcpRouteCrd, renderCrdFiles } from './crds.js';

// The WebSocket subprotocol and where a browser puts its credential (it cannot set headers).

/** The subprotocol the gateway answers with; a credential may ride beside it as `bearer.<token>`. */
export const WS_PROTOCOL = 'tas-mcp.v1';
export const WS_BEARER_PREFIX = 'bearer.';

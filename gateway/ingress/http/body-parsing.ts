// Request bodies: JSON only (application/json, application/*+json, or no Content-Type at all),
// parsed from text we hold within the route's body limit; every parse failure is a 400 that says
// what is wrong, every other client error keeps its 4xx, and nothing a client sends can produce a 500.
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

const JSON_TYPES = /^application\/([a-z0-9.+-]+\+)?json\s*(;.*)?$/i;

/** Why a body was refused before its route ran, as tas_mcp_events_rejected_total counts it. */
export type BodyRejection = 'unsupported_media_type' | 'invalid' | 'too_large';

export interface BodyParsingOptions {
  /** Told of every body refused before its route ran (415, and 400 / 413 from parsing). */
  onRejected?: (request: FastifyRequest, reason: BodyRejection) => void;
}

class BadJson extends Error {
  readonly statusCode = 400;
  readonly code = 'MCP_BAD_JSON';
}

function hasBody(headers: FastifyRequest['headers']): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

export function jsonBodiesOnly(app: FastifyInstance, options: BodyParsingOptions = {}): void {
  // Requests whose body came without a Content-Type (the Go reference's forwarder sends none):
  // read as JSON, and a body that is not JSON is told so in those words.
  const untyped = new WeakSet<FastifyRequest>();
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.headers['content-type'] === undefined && hasBody(request.headers)) {
      request.headers['content-type'] = 'application/json';
      untyped.add(request);
    }
    done();
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    const note = untyped.has(request) ? ' (no Content-Type was sent, so the body was read as JSON)' : '';
    let text: string;
    try {
      // Fatal: bytes that are not UTF-8 are refused, not silently turned into U+FFFD.
      text = utf8.decode(bytes);
    } catch {
      done(new BadJson(`body: is not valid UTF-8${note}`), undefined);
      return;
    }
    if (text.length === 0) {
      done(new BadJson('body: is empty; expected a JSON object'), undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(new BadJson(`body: not valid JSON: ${(error as Error).message}${note}`), undefined);
    }
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      options.onRejected?.(request, 'too_large');
      return reply.code(413).send({
        status: 'rejected',
        error: 'payload_too_large',
        message: `body: larger than this endpoint takes (${request.routeOptions.bodyLimit ?? 'limit'} bytes; MAX_EVENT_SIZE)`,
      });
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      options.onRejected?.(request, 'unsupported_media_type');
      return reply.code(415).send({
        status: 'rejected',
        error: 'unsupported_media_type',
        message: `content-type: expected application/json (or none), got ${JSON.stringify(request.headers['content-type'] ?? '')}`,
      });
    }
    if (error instanceof BadJson) options.onRejected?.(request, 'invalid');
    if (status >= 400 && status < 500) {
      return reply.code(status).send({ status: 'rejected', error: 'bad_request', message: error.message });
    }
    request.log.error({ err: error }, 'unhandled error in request');
    return reply.code(500).send({ status: 'error', error: 'internal', message: 'internal error' });
  });
}

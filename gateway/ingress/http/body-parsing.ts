// Request bodies: JSON only (application/json, application/*+json), parsed from text we hold
// within the route's body limit; every parse failure is a 400 that says what is wrong, every
// other client error keeps its 4xx, and nothing a client sends can produce a 500.
import type { FastifyError, FastifyInstance } from 'fastify';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

const JSON_TYPES = /^application\/([a-z0-9.+-]+\+)?json\s*(;.*)?$/i;

class BadJson extends Error {
  readonly statusCode = 400;
  readonly code = 'MCP_BAD_JSON';
}

export function jsonBodiesOnly(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'buffer' }, (_request, body, done) => {
    const bytes = body as Buffer;
    let text: string;
    try {
      // Fatal: bytes that are not UTF-8 are refused, not silently turned into U+FFFD.
      text = utf8.decode(bytes);
    } catch {
      done(new BadJson('body: is not valid UTF-8'), undefined);
      return;
    }
    if (text.length === 0) {
      done(new BadJson('body: is empty; expected a JSON object'), undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(new BadJson(`body: not valid JSON: ${(error as Error).message}`), undefined);
    }
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({
        status: 'rejected',
        error: 'payload_too_large',
        message: `body: larger than this endpoint takes (${request.routeOptions.bodyLimit ?? 'limit'} bytes; MAX_EVENT_SIZE)`,
      });
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.code(415).send({
        status: 'rejected',
        error: 'unsupported_media_type',
        message: `content-type: expected application/json, got ${JSON.stringify(request.headers['content-type'] ?? '')}`,
      });
    }
    if (status >= 400 && status < 500) {
      return reply.code(status).send({ status: 'rejected', error: 'bad_request', message: error.message });
    }
    request.log.error({ err: error }, 'unhandled error in request');
    return reply.code(500).send({ status: 'error', error: 'internal', message: 'internal error' });
  });
}

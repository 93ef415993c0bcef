// Turns every failure into the API's error body (SPEC S8.1): `{"error":{"code","message","field"?}}`.
// Validation failures name the field; 5xx answers never carry internals (the log has them, secrets
// redacted).
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError } from '../domain/errors.ts';
import { assertStorableInput } from '../domain/input-limits.ts';
import { fieldFromPath, type IssueDetails, plainIssueMessage } from '../domain/validation-messages.ts';

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof AppError) {
      if (err.status >= 500) req.log.error({ err }, 'request failed');
      return reply.status(err.status).send(err.toJSON());
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const first = err.validation[0];
      const issue = {
        ...(first.params as IssueDetails),
        code: first.keyword,
        message: first.message ?? '',
      };
      const where = err.validationContext && err.validationContext !== 'body' ? err.validationContext : '';
      const field = fieldFromPath(first.instancePath.split('/'));
      const params = first.params as { keys?: string[] };
      // An unknown key is reported on the object holding it; name the key itself.
      const named =
        first.keyword === 'unrecognized_keys' && params.keys?.length
          ? fieldFromPath([...(field ? [field] : []), params.keys[0]])
          : field;
      const message = plainIssueMessage(
        { ...issue, path: first.instancePath.split('/').filter(Boolean) },
        named ?? (where || undefined),
      );
      return reply
        .status(400)
        .send({ error: { code: 'VALIDATION_FAILED', message, ...(named ? { field: named } : {}) } });
    }
    const status = err.statusCode ?? 500;
    if (status === 413) {
      return reply.status(413).send({
        error: {
          code: 'BODY_TOO_LARGE',
          message: 'The request body is larger than this endpoint accepts.',
        },
      });
    }
    if (status === 429) {
      return reply.status(429).send({ error: { code: 'LOGIN_RATE_LIMITED', message: err.message } });
    }
    if (status >= 500) {
      req.log.error({ err }, 'request failed');
      return reply
        .status(500)
        .send({ error: { code: 'INTERNAL_ERROR', message: 'Internal error; see the service log.' } });
    }
    const message =
      err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
        ? 'The request body is not valid JSON.'
        : err.message;
    return reply
      .status(status)
      .send({ error: { code: status === 404 ? 'NOT_FOUND' : 'VALIDATION_FAILED', message } });
  });

  app.setNotFoundHandler((req, reply) => {
    reply
      .status(404)
      .send({ error: { code: 'NOT_FOUND', message: `No route ${req.method} ${req.url.split('?')[0]}.` } });
  });
}

/**
 * Every parsed body, query and path parameter meets the input limits (nesting depth; no NUL or unpaired
 * surrogate in any string or key) before a route sees it: a 400 naming the field, the same on SQLite and
 * PostgreSQL (docs/errors.md). Streamed bodies (NDJSON imports) are checked line by line by their route.
 */
export function installInputLimits(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    assertStorableInput(req.params);
    assertStorableInput(req.query);
    const body = req.body as unknown;
    if (typeof body !== 'object' || body === null) {
      if (typeof body === 'string') assertStorableInput(body);
      return;
    }
    if (Buffer.isBuffer(body) || Symbol.asyncIterator in body) return;
    assertStorableInput(body);
  });
}

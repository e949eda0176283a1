import { BadRequestError, jsonDepth, MAX_JSON_DEPTH } from '@mission/contracts';
import type { FastifyInstance } from 'fastify';

/**
 * JSON bodies are checked for depth before they are parsed (Fastify's own parser, with its prototype
 * poisoning checks, does the parsing): a body nested deeper than {@link MAX_JSON_DEPTH} is a 400, not
 * a stack overflow in whatever walks it later.
 */
export function limitJsonDepth(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH)
      return done(new BadRequestError(`the JSON body nests deeper than ${MAX_JSON_DEPTH} levels`), undefined);
    return parse(request, text, done);
  });
}

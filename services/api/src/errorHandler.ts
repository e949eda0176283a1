import { errorBody, type ErrorCode, httpStatusByCode, MissionError } from '@mission/contracts';
import { callerError, type Logger } from '@mission/store';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

const codeByStatus = new Map<number, ErrorCode>(Object.entries(httpStatusByCode).map(([code, status]) => [status, code as ErrorCode]));

/**
 * The one place errors become HTTP responses: typed Mission errors keep their code, Fastify's own
 * client errors (bad JSON, body too large, failed validation) become the same `{error:{code,message}}`
 * shape, and anything else is a logged 500 whose body says nothing about the internals.
 */
export function toMissionError(error: unknown, logger: Logger): MissionError {
  const known = callerError(error);
  if (known) return known;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = error.validationContext ?? 'request';
    // A problem of the whole body or query (a key it does not take) has no field to name.
    const problems = error.validation.map((v) => {
      const field = v.instancePath.replace(/^\//, '').replaceAll('/', '.');
      return field ? `${field}: ${v.message}` : v.message;
    });
    return new MissionError('bad_request', `invalid ${where}: ${problems.join('; ')}`);
  }
  const fastifyError = error as Partial<FastifyError>;
  const status = fastifyError.statusCode;
  if (status && status >= 400 && status < 500) {
    return new MissionError(codeByStatus.get(status) ?? 'bad_request', clientErrorMessage(fastifyError));
  }
  logger.error({ err: error }, 'unhandled error');
  return new MissionError('internal', 'internal error; the server log has the details');
}

function clientErrorMessage(error: Partial<FastifyError>): string {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'body is not valid JSON';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'body is empty; send a JSON object';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'body is too large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported content type; send application/json';
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return 'a path parameter is too long';
    case 'FST_ERR_BAD_URL':
      return 'the URL is not valid';
    default:
      return (error.message ?? 'bad request').replace(/^FST_\w+: /, '');
  }
}

/** For Fastify's `frameworkErrors`: the router's own refusals (bad URL, too long a parameter) in the same shape. */
export function frameworkErrorHandler(logger: Logger) {
  return (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
    const mission = toMissionError(error, logger);
    void reply.status(mission.httpStatus).send(errorBody(mission));
  };
}

export function registerErrorHandling(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((error, _request, reply) => {
    const mission = toMissionError(error, logger);
    return reply.status(mission.httpStatus).send(errorBody(mission));
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new MissionError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`);
    return reply.status(404).send(errorBody(error));
  });
}

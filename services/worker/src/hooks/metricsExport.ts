import type http from 'node:http';
import type { Logger } from '@mission/store';
import { readBody } from '../httpBody.ts';
import { type CliSpend, spendFromMetrics } from './cliSpend.ts';

/** Hears what an agent's claude has cost so far (its metrics export: cliSpend.ts). */
export type SpendHandler = (spend: CliSpend) => void;

/** What an export of the CLI's metrics is answered: OTLP's ExportMetricsServiceResponse, all taken. */
const METRICS_TAKEN = '{}';

/**
 * Answers an export of an agent's CLI metrics (OTLP/HTTP JSON), once its caller is known to be the agent's claude:
 * what it tells of the agent's cost goes to `spent`, the rest is dropped; a body that is not JSON is refused (400).
 */
export async function takeMetricsExport(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  spent: SpendHandler,
  logger: Logger,
  context: Record<string, unknown>,
): Promise<void> {
  let spend: CliSpend | null;
  try {
    spend = spendFromMetrics(JSON.parse(await readBody(req)));
  } catch (error) {
    logger.warn({ err: error, ...context }, "the agent's claude exported metrics that are not OTLP JSON: not read");
    return void res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not OTLP JSON' }));
  }
  if (spend) spent(spend);
  res.writeHead(200, { 'content-type': 'application/json' }).end(METRICS_TAKEN);
}

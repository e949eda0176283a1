import type { Logger } from './logger.ts';

/**
 * Runs `stop` once on SIGTERM or SIGINT, then exits. A second signal exits at once: the operator
 * asked twice. Errors while stopping are logged and exit non-zero.
 */
function onShutdownSignal(logger: Logger, stop: (signal: NodeJS.Signals) => Promise<void>): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);
}

/**
 * Starts a service with its shutdown already in place: a SIGTERM or SIGINT that comes while it starts (its API may
 * answer already) stops it once it has started, so it is never killed half started (by the signal's default action:
 * a private redis-server left running, an embedded database not closed). Resolves once it has started.
 */
export async function serveUntilSignal(logger: Logger, start: () => Promise<{ close(): Promise<void> }>): Promise<void> {
  const started = start();
  onShutdownSignal(logger, async () => (await started).close());
  await started;
}

/** Runs an entry point; a startup failure is one clear line on stderr (and the log), never a bare stack trace. */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`mission: ${message}\n`);
    process.exit(1);
  });
}

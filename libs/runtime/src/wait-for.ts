import type { LoggerService } from '@nestjs/common';

/**
 * Retries `attempt` until it succeeds, saying what it waits for. A service started before NATS or
 * PostgreSQL waits for them instead of exiting, and becomes ready once they appear.
 */
export async function waitFor<T>(
  what: string,
  attempt: () => Promise<T>,
  logger: LoggerService,
  isStopping: () => boolean = () => false,
): Promise<T> {
  let delayMs = 200;
  let tries = 0;
  for (;;) {
    try {
      const result = await attempt();
      if (tries > 0) logger.log({ msg: `${what} is reachable`, after_attempts: tries + 1 }, 'Startup');
      return result;
    } catch (error) {
      if (isStopping()) throw error;
      tries += 1;
      if (tries === 1 || tries % 10 === 0) {
        logger.warn(
          {
            msg: `waiting for ${what}`,
            reason: error instanceof Error ? error.message : String(error),
            attempt: tries,
          },
          'Startup',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, 2_000);
    }
  }
}

/** Host, port and database of a connection URL, without its credentials, for log lines. */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `PostgreSQL at ${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}

import type { LoggerService } from '@nestjs/common';
import pino, { type Logger as PinoLogger } from 'pino';
import { redact, redactText } from './redact';
import { currentRequestId } from './request-context';

/** The contexts of Nest's own start-up lines: the modules it loads and every route it maps. */
const NEST_START_UP = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/**
 * The one logger of the platform: JSON lines on stdout, the current request id on every line,
 * secrets masked by field name and by shape before anything is written.
 */
export class JsonLogger implements LoggerService {
  private readonly pino: PinoLogger;

  constructor(service: string, level = process.env.LOG_LEVEL ?? 'info') {
    this.pino = pino({
      level,
      base: { service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => {
        const requestId = currentRequestId();
        return requestId ? { request_id: requestId } : {};
      },
    });
  }

  log(message: unknown, ...rest: unknown[]): void {
    // Nest's start-up lines (a line per module and per route: about 150 for the gateway) are detail, not news.
    this.write(NEST_START_UP.has(rest[rest.length - 1] as string) ? 'debug' : 'info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  /** Structured log line: `fields` are merged into the JSON object. */
  info(fields: Record<string, unknown>, message: string): void {
    this.at('info', fields, message);
  }

  at(level: pino.Level, fields: Record<string, unknown>, message: string): void {
    this.pino[level](redact(fields) as object, redactText(message));
  }

  isLevelEnabled(level: pino.Level): boolean {
    return this.pino.isLevelEnabled(level);
  }

  private write(level: pino.Level, message: unknown, rest: unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    // Nest passes the context (class name) as the last string argument.
    const context = typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    const fields: Record<string, unknown> = {};
    if (context) fields.context = context;
    if (rest.length > 0) fields.details = redact(rest.length === 1 ? rest[0] : rest);
    if (message instanceof Error) {
      fields.err = redact(message);
      this.pino[level](fields, redactText(message.message));
    } else if (typeof message === 'object' && message !== null) {
      this.pino[level]({ ...fields, ...(redact(message) as object) });
    } else {
      this.pino[level](fields, redactText(String(message)));
    }
  }
}

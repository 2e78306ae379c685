import 'reflect-metadata';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync } from 'class-validator';
import { redactText } from '../logging/redact';

/** Thrown at boot when the environment does not describe a runnable service. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const SECRET_VARIABLE = /(^|_)(TOKEN|SECRET|PASSWORD|KEY)$/i;

/** Variables whose value is a credential: a refusal names them but never shows what they hold. */
export function isSecretVariable(name: string): boolean {
  return SECRET_VARIABLE.test(name);
}

/**
 * How a refused variable is shown: its name and, unless it is a secret, its value with anything that
 * could be a URL's credentials masked, so that the line can be pasted into an issue.
 */
function describeVariable(name: string, value: unknown): string {
  if (value === undefined) return `${name} (unset)`;
  if (isSecretVariable(name)) return `${name} (value not shown)`;
  return `${name}=${JSON.stringify(redactText(String(value)))}`;
}

/**
 * Reads the environment into one validated class, once, at boot. Every bad variable is reported
 * together, each message starting with the variable's name, with one rule per variable: the first
 * that fails, as later ones (a range after "not a number") only repeat it.
 */
export function loadConfig<T extends object>(schema: ClassConstructor<T>, env: NodeJS.ProcessEnv = process.env): T {
  const config = plainToInstance(schema, { ...env }, { enableImplicitConversion: true });
  const errors = validateSync(config, { whitelist: false, forbidUnknownValues: false, stopAtFirstError: true });
  if (errors.length > 0) {
    throw new ConfigError(
      errors.map((error) => {
        const message = Object.values(error.constraints ?? {})[0] ?? 'is not valid';
        return `${describeVariable(error.property, env[error.property])}: ${message}`;
      }),
    );
  }
  return config;
}

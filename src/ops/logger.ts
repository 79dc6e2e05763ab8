/**
 * Structured logs: one JSON line an event (pino). Secrets registered here are scrubbed from every line as it is
 * written — whatever object, error or URL carried them — so the bot token cannot leak through a log.
 */
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: string;
  /** Strings that must never appear in a log line (the bot token). */
  secrets?: readonly (string | undefined)[];
  /** Where lines go (default stdout; the CLI uses stderr so stdout stays for results). */
  destination?: DestinationStream | NodeJS.WritableStream;
  name?: string;
}

/** Replaces each secret in `text` by a marker. Also used for texts shown to people (error replies). */
export function scrub(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret !== undefined && secret.length >= 8) out = out.split(secret).join('[redacted]');
  }
  return out;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = (options.secrets ?? []).filter((s): s is string => s !== undefined && s.length >= 8);
  return pino(
    {
      level: options.level ?? 'info',
      ...(options.name ? { name: options.name } : {}),
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
      hooks: secrets.length > 0 ? { streamWrite: (line) => scrub(line, secrets) } : {},
    },
    (options.destination ?? process.stdout) as DestinationStream,
  );
}

/**
 * Node's own warnings (a listener leak, a deprecation) as log lines of `logger`, instead of Node's plain text on
 * stderr: a service writes JSON lines only, which the log pipeline parses and the token scrubber sees. Node prints
 * them through a 'warning' listener of its own (absent under --no-warnings), replaced here.
 */
export function logProcessWarnings(logger: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => logger.warn({ err: warning }, `node warning: ${warning.name}`));
}

/**
 * The playground's console is the person's: its address, then one short line per answer (and per problem). The app's
 * JSON log lines, a dozen a photo, would push the address off the screen: they go to a file, named once at start.
 * LOG_FORMAT=json keeps them on stdout instead, as the service writes them.
 */
import { openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { shownPercent } from '../app/index.ts';
import type { Config } from '../config/index.ts';

export interface PlaygroundLog {
  /** Where the app's JSON lines go: appended to `file`, and told on the console where a person cares. */
  destination: Writable;
  /** The file with every JSON line. */
  file: string;
}

/** The file and its console lines, unless LOG_FORMAT=json asks for the JSON lines on stdout. */
export function playgroundLog(
  config: Pick<Config, 'LOG_FORMAT'>,
  print: (line: string) => void = (line) => void process.stdout.write(`${line}\n`),
): PlaygroundLog | undefined {
  if (config.LOG_FORMAT === 'json') return undefined;
  return openPlaygroundLog(path.join(tmpdir(), `dog-breeds-playground-${process.pid}.log`), print);
}

export function openPlaygroundLog(file: string, print: (line: string) => void): PlaygroundLog {
  // Written synchronously: the last lines before an exit (a stop, a start-up failure) are the ones worth reading. The
  // file stays open until the process ends (its last lines come from main.ts, after the playground stopped).
  const fd = openSync(file, 'a');
  let partial = '';
  const destination = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      const text = chunk.toString();
      writeSync(fd, text);
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const human = humanLine(line);
        if (human !== undefined) print(human);
      }
      callback();
    },
  });
  return { destination, file };
}

interface LogRecord {
  level?: unknown;
  msg?: unknown;
  outcome?: unknown;
  top1?: unknown;
  p?: unknown;
  dogs?: unknown;
  jobMs?: unknown;
  err?: { message?: unknown };
}

/** The one line a person reads for a log record, or none: an answer, a warning, an error. */
export function humanLine(json: string): string | undefined {
  let record: LogRecord;
  try {
    record = JSON.parse(json) as LogRecord;
  } catch {
    return json.trim() === '' ? undefined : json;
  }
  const time = new Date().toTimeString().slice(0, 8);
  if (record.msg === 'photo answered') return `${time} ${answerLine(record)}`;
  if (record.level === 'warn' || record.level === 'error' || record.level === 'fatal') {
    const cause = typeof record.err?.message === 'string' ? `: ${record.err.message}` : '';
    return `${time} ${record.level}: ${String(record.msg)}${cause}`;
  }
  return undefined;
}

function answerLine(record: LogRecord): string {
  const seconds = typeof record.jobMs === 'number' ? ` (${(record.jobMs / 1000).toFixed(1)} s)` : '';
  if (record.outcome !== 'answered' || typeof record.top1 !== 'string') return `answered: not a dog${seconds}`;
  // The breed's id as a name (golden_retriever → Golden retriever): the console has no breed list at hand.
  const breed = record.top1.charAt(0).toUpperCase() + record.top1.slice(1).replaceAll('_', ' ');
  const p = typeof record.p === 'number' ? ` ${shownPercent(record.p)}` : '';
  const dogs = typeof record.dogs === 'number' && record.dogs > 1 ? `, ${record.dogs} dogs` : '';
  return `answered: ${breed}${p}${dogs}${seconds}`;
}

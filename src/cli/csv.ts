/**
 * Every CSV the command line reads or writes, through one library (csv-parse / csv-stringify): quoted fields with
 * commas, quotes or line breaks in them work both ways, and a malformed file is refused with one line — the file, the
 * line number and what is wrong there — never a stack trace.
 */
import { CsvError, parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { OperatorError } from '../operator-error.ts';
import { InputFileError, readRegularFile } from './input-photo.ts';

/** A CSV file that cannot be read as one: its message is `<file>:<line>: <what is wrong>`. */
export class CsvFileError extends OperatorError {}

export interface CsvRecord {
  cells: string[];
  /** The line the record ends on (1 is the first line of the file), for errors about it. */
  line: number;
}

/**
 * The largest CSV read (it is read whole): a million photo paths with labels fit; a file past it is a mistake (a log,
 * a dump), refused before it takes the memory.
 */
export const MAX_CSV_BYTES = 128 * 1024 * 1024;

/** What is wrong, in words a person fixing the file can act on. */
function problemOf(error: CsvError): string {
  switch (error.code) {
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH': {
      const [, expected, got] = /expect (\d+), got (\d+)/.exec(error.message) ?? [];
      const fields = (n: string | undefined) =>
        n === undefined ? 'another number of fields' : n === '1' ? '1 field' : `${n} fields`;
      return `${fields(got)} where the first line has ${fields(expected)}`;
    }
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is never closed (a " is missing)';
    case 'INVALID_OPENING_QUOTE':
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'a " inside a field that is not quoted as a whole: write it as "a ""quoted"" word"';
    default:
      return error.message.replace(/\s*(on|at) line \d+.*$/, '');
  }
}

/**
 * Reads a CSV file whole (a regular file of at most MAX_CSV_BYTES): every record with its line, blank lines skipped, cells trimmed, a byte-order mark ignored;
 * every record must have as many cells as the first. `onBadRecord: 'skip'` drops a record that cannot be read (an
 * interrupted write leaves one at the end of an appended file) instead of refusing the file.
 */
export async function readCsvFile(
  file: string,
  options: { onBadRecord?: 'refuse' | 'skip' } = {},
): Promise<CsvRecord[]> {
  let text: string;
  try {
    // A FIFO would hang the read and /dev/zero fill the memory: regular files only, bounded.
    text = (await readRegularFile(file, MAX_CSV_BYTES)).toString('utf8');
  } catch (error) {
    if (!(error instanceof InputFileError)) throw error;
    throw new CsvFileError(`${file}: ${error.message}`);
  }
  const skip = options.onBadRecord === 'skip';
  try {
    // csv-parse's types have no overload for `info: true`, which wraps each record with where it was read.
    const rows = parse(text, {
      bom: true,
      info: true,
      skip_empty_lines: true,
      trim: true,
      relax_column_count: skip,
      skip_records_with_error: skip,
    }) as unknown as { record: string[]; info: { lines: number } }[];
    return rows.map(({ record, info }) => ({ cells: record, line: info.lines }));
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    throw new CsvFileError(`${file}:${error.lines}: ${problemOf(error)}`);
  }
}

/** One CSV line (with its line break), quoting what needs it; null and undefined are empty cells. */
export function csvLine(cells: readonly (string | number | boolean | null | undefined)[]): string {
  return stringify([cells.map((cell) => (cell === null || cell === undefined ? '' : String(cell)))]);
}

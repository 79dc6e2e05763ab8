/**
 * The results file of `dog-breeds batch`/`reprocess`: JSON lines or CSV, chosen by extension, appended one row per
 * photo as results arrive — so an interrupted run loses nothing, and a re-run reads it to skip what is done.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { BatchJobResult } from '../queue/index.ts';

export interface ResultRow {
  input: string;
  label?: string;
  result: BatchJobResult;
}

const CSV_HEADER = 'input,label,ok,is_dog,dog_score,breed1,p1,breed2,p2,breed3,p3,model,error';

function csvCell(value: string | number | boolean | null | undefined): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvLine(row: ResultRow): string {
  const r = row.result;
  const top = r.ok ? r.top : [];
  const cells = [
    row.input,
    row.label,
    r.ok,
    r.ok ? r.isDog : null,
    r.ok && r.dogScore !== null ? r.dogScore.toFixed(4) : null,
    ...[0, 1, 2].flatMap((i) => [top[i]?.breed, top[i]?.p.toFixed(4)]),
    r.ok ? r.model : null,
    r.ok ? null : `${r.problem}: ${r.message}`,
  ];
  return cells.map(csvCell).join(',');
}

/** Splits one CSV line (quotes allowed), enough to read back our own first column. */
function firstCsvCell(line: string): string {
  if (!line.startsWith('"')) return line.split(',')[0] ?? '';
  const match = /^"((?:[^"]|"")*)"/.exec(line);
  return (match?.[1] ?? '').replace(/""/g, '"');
}

export class ResultFile {
  private opening: Promise<WriteStream> | undefined;
  private readonly csv: boolean;

  constructor(private readonly path: string) {
    this.csv = path.toLowerCase().endsWith('.csv');
  }

  /** Inputs already in the file (from an earlier, possibly interrupted run). */
  async doneInputs(): Promise<Set<string>> {
    const text = await readFile(this.path, 'utf8').catch(() => '');
    const lines = text.split('\n').filter((l) => l.trim().length > 0);
    if (this.csv) return new Set(lines.slice(lines[0] === CSV_HEADER ? 1 : 0).map(firstCsvCell));
    const done = new Set<string>();
    for (const line of lines) {
      try {
        done.add((JSON.parse(line) as { input: string }).input);
      } catch {
        // A line cut short by a crash: that photo is simply done again.
      }
    }
    return done;
  }

  async append(row: ResultRow): Promise<void> {
    // Opened once, even when results arrive together (the header must be written exactly once).
    this.opening ??= this.open();
    const stream = await this.opening;
    const line = this.csv
      ? csvLine(row)
      : JSON.stringify({ input: row.input, ...(row.label !== undefined ? { label: row.label } : {}), ...row.result });
    stream.write(`${line}\n`);
  }

  private async open(): Promise<WriteStream> {
    const exists = await stat(this.path).then(
      (s) => s.size > 0,
      () => false,
    );
    const stream = createWriteStream(this.path, { flags: 'a' });
    if (this.csv && !exists) stream.write(`${CSV_HEADER}\n`);
    return stream;
  }

  async close(): Promise<void> {
    if (this.opening === undefined) return;
    const stream = await this.opening;
    await new Promise<void>((resolve) => stream.end(resolve));
  }
}

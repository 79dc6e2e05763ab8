/**
 * The results file of `dog-breeds batch`/`reprocess`: JSON lines or CSV, chosen by extension, appended one row per
 * photo as results arrive — so an interrupted run loses nothing, and a re-run reads it to skip what is done.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { BatchJobResult } from '../queue/index.ts';
import { csvLine, readCsvFile } from './csv.ts';

export interface ResultRow {
  input: string;
  label?: string;
  result: BatchJobResult;
}

const CSV_HEADER = 'input,label,ok,is_dog,dog_score,breed1,p1,breed2,p2,breed3,p3,model,error';

function resultCells(row: ResultRow): (string | number | boolean | null | undefined)[] {
  const r = row.result;
  const top = r.ok ? r.top : [];
  return [
    row.input,
    row.label,
    r.ok,
    r.ok ? r.isDog : null,
    r.ok && r.dogScore !== null ? r.dogScore.toFixed(4) : null,
    ...[0, 1, 2].flatMap((i) => [top[i]?.breed, top[i]?.p.toFixed(4)]),
    r.ok ? r.model : null,
    r.ok ? null : `${r.problem}: ${r.message}`,
  ];
}

export class ResultFile {
  private opening: Promise<WriteStream> | undefined;
  private readonly csv: boolean;

  constructor(private readonly path: string) {
    this.csv = path.toLowerCase().endsWith('.csv');
  }

  /** Inputs already in the file (from an earlier, possibly interrupted run). */
  async doneInputs(): Promise<Set<string>> {
    const exists = await stat(this.path).then(
      () => true,
      () => false,
    );
    if (!exists) return new Set();
    if (this.csv) {
      // A row cut short by a crash is skipped: that photo is simply done again.
      const records = await readCsvFile(this.path, { onBadRecord: 'skip' });
      const rows = records[0]?.cells.join(',') === CSV_HEADER ? records.slice(1) : records;
      return new Set(rows.map((r) => r.cells[0] ?? ''));
    }
    const text = await readFile(this.path, 'utf8');
    const lines = text.split('\n').filter((l) => l.trim().length > 0);
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
    const json = { input: row.input, ...(row.label !== undefined ? { label: row.label } : {}), ...row.result };
    stream.write(this.csv ? csvLine(resultCells(row)) : `${JSON.stringify(json)}\n`);
  }

  private async open(): Promise<WriteStream> {
    const exists = await stat(this.path).then(
      (s) => s.size > 0,
      () => false,
    );
    const stream = createWriteStream(this.path, { flags: 'a' });
    if (this.csv && !exists) stream.write(csvLine(CSV_HEADER.split(',')));
    return stream;
  }

  async close(): Promise<void> {
    if (this.opening === undefined) return;
    const stream = await this.opening;
    await new Promise<void>((resolve) => stream.end(resolve));
  }
}

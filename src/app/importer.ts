import { AlawError, E } from '../errors/index.js';
import { readRecordFile, RecordFileReadError, type Precedent, type RecordProblem } from '../corpus/index.js';
import type { ImportCounts, PrecedentStore } from '../store/index.js';

export interface LineProblem extends RecordProblem {
  line: number;
}

export interface ImportReport extends ImportCounts {
  file: string;
  /** Non-blank lines read. */
  lines: number;
  /** Lines that were rejected (each listed in `problems`, up to the cap). */
  rejected: number;
  problems: LineProblem[];
  /** Problems beyond the cap were counted but not kept. */
  problemsTruncated: boolean;
  ms: number;
}

export interface ImportOptions {
  /** Records per transaction. */
  batchSize?: number;
  onProgress?: (bytesRead: number, totalBytes: number, report: ImportReport) => void;
  /** Called for every rejected line as it is found. */
  onProblem?: (problem: LineProblem) => void;
  /** Most problems kept in the report. */
  maxProblems?: number;
}

/**
 * The file broke off before its end (see {@link RecordFileReadError}). Every
 * valid line read before the break was imported; `report` counts them, so the
 * caller can say what is in the database now. Importing the repaired file
 * again is safe (imports are idempotent).
 */
export class ImportIncompleteError extends AlawError {
  constructor(
    readonly report: ImportReport,
    readonly readError: RecordFileReadError,
  ) {
    const { inserted, updated, unchanged, rejected } = report;
    super(
      E.IMPORT_READ,
      E.IMPORT_READ.message({
        file: readError.file,
        afterLine: readError.afterLine,
        reason: readError.reason,
        kept: { inserted, updated, unchanged, rejected },
      }),
      readError.details,
      { cause: readError },
    );
    this.name = 'ImportIncompleteError';
  }
}

/**
 * Imports a JSONL file (ours or law.go.kr-style, plain or gzip) into the
 * store: valid lines in batches, each bad line reported with its number and
 * reason. Idempotent: importing the same file twice changes nothing.
 */
export async function importFile(store: PrecedentStore, file: string, options: ImportOptions = {}): Promise<ImportReport> {
  const started = performance.now();
  const batchSize = options.batchSize ?? 500;
  const maxProblems = options.maxProblems ?? 1000;
  const report: ImportReport = {
    file,
    lines: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    merged: 0,
    rejected: 0,
    problems: [],
    problemsTruncated: false,
    ms: 0,
  };
  let batch: Precedent[] = [];
  const flush = (): void => {
    if (batch.length === 0) return;
    const c = store.importRecords(batch);
    report.inserted += c.inserted;
    report.updated += c.updated;
    report.unchanged += c.unchanged;
    report.merged += c.merged;
    batch = [];
  };
  let lastBytes = 0;
  let lastTotal = 0;
  const lines = readRecordFile(file, {
    onProgress: (read, total) => {
      lastBytes = read;
      lastTotal = total;
    },
  });
  try {
    for await (const item of lines) {
      report.lines++;
      if ('problem' in item) {
        report.rejected++;
        const p: LineProblem = { line: item.line, ...item.problem };
        if (report.problems.length < maxProblems) report.problems.push(p);
        else report.problemsTruncated = true;
        options.onProblem?.(p);
        continue;
      }
      batch.push(item.record);
      if (batch.length >= batchSize) {
        flush();
        options.onProgress?.(lastBytes, lastTotal, report);
      }
    }
  } catch (err) {
    if (!(err instanceof RecordFileReadError)) throw err;
    // The lines before the break are as good as any: keep them, whatever the batch boundary.
    flush();
    report.ms = Math.round(performance.now() - started);
    throw new ImportIncompleteError(report, err);
  }
  flush();
  options.onProgress?.(lastTotal || lastBytes, lastTotal, report);
  report.ms = Math.round(performance.now() - started);
  return report;
}

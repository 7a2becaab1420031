import Database from 'better-sqlite3';
import type { SnippetSource } from './precedentStore.js';

/**
 * A read-only connection to the application database for the text snippets
 * are cut from: what a search worker thread opens (a connection cannot cross
 * threads; SQLite in WAL mode lets readers run beside the writer).
 */
export class SnippetReader {
  private readonly statement: Database.Statement<[string], SnippetSource>;

  private constructor(private readonly db: Database.Database) {
    this.statement = db.prepare<[string], SnippetSource>('SELECT holdings, summary, full_text FROM precedents WHERE id = ?');
  }

  static open(file: string): SnippetReader {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    return new SnippetReader(db);
  }

  get(id: string): SnippetSource | undefined {
    return this.statement.get(id);
  }

  close(): void {
    this.db.close();
  }
}

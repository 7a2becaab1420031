import type { Generated } from 'kysely';

/** Row types of the application database, for Kysely. */
export interface PrecedentsTable {
  rowid: Generated<number>;
  id: string;
  case_number: string;
  court: string;
  decision_date: string | null;
  case_name: string;
  case_type: string;
  holdings: string | null;
  summary: string | null;
  statutes: string | null;
  cited_cases: string | null;
  full_text: string;
  source: string | null;
  content_hash: string;
  created_at: string;
  updated_at: string;
  /** The corpus revision that last wrote this row (see migration 0003). */
  index_rev: Generated<number>;
}

export interface PrecedentCaseKeysTable {
  case_key: string;
  precedent_id: string;
}

export interface PrecedentCitationsTable {
  citing_id: string;
  cited_key: string;
  cited_court: string | null;
  cited_date: string | null;
  citation: string;
  in_reference: number;
  mentions: number;
  context: string | null;
}

export interface PrecedentStatutesTable {
  precedent_id: string;
  law: string;
  law_key: string;
  article: number;
  article_sub: number;
  in_reference: number;
  mentions: number;
  former: number;
}

export interface AppMetaTable {
  key: string;
  value: string;
}

export interface AppDatabase {
  precedents: PrecedentsTable;
  precedent_case_keys: PrecedentCaseKeysTable;
  app_meta: AppMetaTable;
  precedent_citations: PrecedentCitationsTable;
  precedent_statutes: PrecedentStatutesTable;
}

import type { CourtLevel } from '../legal/index.js';
import type { RequestedMode } from './queryPlan.js';

export type SortOrder = 'relevance' | 'date' | 'date_asc';

/** A validated search request: what the engine runs (src/app/searchRequest.ts makes one from what people send). */
export interface SearchRequest {
  q: string;
  page: number;
  size: number;
  sort: SortOrder;
  mode: RequestedMode;
  courts: string[];
  courtLevels: CourtLevel[];
  caseTypes: string[];
  /** yyyymmdd bounds, inclusive; 0 when open. */
  dateFrom: number;
  dateTo: number;
  /** Include highlighted snippets (default true). */
  snippets: boolean;
}

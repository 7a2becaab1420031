export { openServices, type Services, type ServerServices, type OpenOptions, type Traffic } from './services.js';
export { importFile, ImportIncompleteError, type ImportReport, type ImportOptions, type LineProblem } from './importer.js';
export { SearchService, buildMemoryOf, searchParamsOf, type IndexStatus } from './searchService.js';
export { analysisHandler, narrativeWriter, runAnalysis, type FullAnalysis } from './analysisService.js';
export { parseSearchRequest, parseDateBound, runSearch, type RawSearchParams } from './searchRequest.js';
export { noticeText, searchResponse, type SearchResponse } from './searchNotices.js';

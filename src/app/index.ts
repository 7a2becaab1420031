export { openServices, type Services, type ServerServices, type OpenOptions, type Traffic } from './services.js';
export { importFile, ImportIncompleteError, type ImportReport, type ImportOptions, type LineProblem } from './importer.js';
export { SearchService, searchParamsOf, type IndexStatus } from './searchService.js';
export { analysisHandler } from './analysisService.js';

export { openServices, type Services, type OpenOptions } from './services.js';
export { importFile, type ImportReport, type ImportOptions, type LineProblem } from './importer.js';
export { SearchService, searchParamsOf, type IndexStatus } from './searchService.js';

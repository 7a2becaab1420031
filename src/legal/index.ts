export { CASE_CODES, isCaseCode, caseCategoryOf, type CaseCategory } from './caseCodes.js';
export { findCaseNumbers, parseCaseNumber, caseNumberKeys, normalizeCaseNumberKey, type CaseNumber, type CaseNumberMatch } from './caseNumber.js';
export { findCitations, formatCitation, formatKoreanDate, type Citation } from './citation.js';
export { COURT_LEVELS, courtLevelOf, normalizeCourtName, isCourtLevel, type CourtLevel } from './court.js';
export { findStatutes, type StatuteRef } from './statute.js';
export { OUTCOMES, classifyDisposition, dispositionText, findDisposition, type Outcome } from './disposition.js';
export { LINKS_VERSION, extractLinks, parseArticle, articleLabel, type CitationLink, type StatuteLink, type LinkSource } from './links.js';
export { lawKey, fullLawName } from './lawNames.js';

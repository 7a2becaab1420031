export { CASE_TYPES, FIELD_LIMITS, type CaseType, type Precedent } from './model.js';
export { parseRecordLine, toPrecedent, parseDecisionDate, derivedId, recordCaseKeys, contentHash, type RecordProblem, type RecordResult } from './record.js';
export { readRecordFile, RecordFileReadError, MAX_LINE_CHARS, type ReadLine, type ReadOptions } from './reader.js';

export { analyzeCase, findAmounts, findDates, reportMarkdown, type AnalysisInput, type AnalysisResult, type DecisionRef } from './analyze.js';

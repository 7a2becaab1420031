export { analyzeCase, findAmounts, findDates, isProceduralProvision, reportMarkdown, type AnalysisInput, type AnalysisResult, type DecisionRef } from './analyze.js';

export { analyzeCase, findAmounts, findDates, isProceduralProvision, reportMarkdown, type AnalysisInput, type AnalysisResult, type AnalysisStage, type DecisionRef } from './analyze.js';

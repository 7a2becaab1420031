export {
  analyzeCase,
  checkDescription,
  DESCRIPTION_CHARS,
  findAmounts,
  findDates,
  isProceduralProvision,
  reportMarkdown,
  type AnalysisInput,
  type AnalysisResult,
  type AnalysisStage,
  type DecisionRef,
} from './analyze.js';
export {
  checkCitations,
  NARRATIVE_SOURCES,
  narrativeMarkdown,
  narrativeMessages,
  NarrativeWriter,
  type CitationCheck,
  type LlmSettings,
  type Narrative,
} from './narrative.js';

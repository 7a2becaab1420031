export { createLogger, type Logger } from './logger.js';
export { Metrics, type MetricsSources } from './metrics.js';

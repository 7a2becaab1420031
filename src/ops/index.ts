export { createLogger, createServerLogging, type Logger, type ServerLogging } from './logger.js';
export { LogFiles, RotatingLogFile, LOG_NAMES, type LogName } from './logFiles.js';
export { Metrics, type MetricsSources } from './metrics.js';
export { buildLogReport, formatLogReport, logFilesOf, normalizeError, type LogReport } from './logReport.js';
export { Watchdog, type WatchdogOutcome } from './watchdog.js';
export { AuthFailureCounter, type AuthFailureSample } from './authFailures.js';
export { classifyTarget, SUSPICIOUS_KINDS, SUSPICIOUS_NAMES, type SuspiciousKind } from './suspicious.js';
export { Alerter, AlertMonitor, type AlertMessage, type ChannelResult, type MonitorState } from './alerts.js';
export {
  createBackup,
  listBackups,
  readManifest,
  restoreBackup,
  verifyBackup,
  pruneBackups,
  backupStamp,
  type BackupEntry,
  type BackupListing,
  type Manifest,
  type RestoreReport,
  type VerifyReport,
} from './backup.js';
export { dataDirsOf, holdDataLock, liveDataLocks, releaseDataLock, stopLockHolder, type DataLock } from './dataLock.js';
export { DEFAULT_USAGE, GUIDE_CONSTANTS, guideEstimate, measuredEstimate, type GuideConstants, type Measurements } from './capacity.js';

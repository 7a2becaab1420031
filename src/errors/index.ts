export { E, CATALOG, specOf, reviveError, validationMessage, type Catalog, type ErrorCode, type ValidationFailure } from './catalog.js';
export { AlawError, ErrorSpec, EXIT, isAlawError, type ErrorDetails, type ExitCode, type Surface } from './spec.js';
import { validationMessage, type ValidationFailure } from './catalog.js';
import { AlawError, type ErrorDetails, type ErrorSpec } from './spec.js';

/**
 * A schema violation as an error of `spec` (the code a route gives the
 * parameter, or `E.REQUEST_INVALID`), with the one sentence every schema
 * violation has (see `validationMessage`).
 */
export function validationError(spec: ErrorSpec<never>, failure: ValidationFailure, details?: ErrorDetails): AlawError {
  return new AlawError(spec, validationMessage(failure), details);
}

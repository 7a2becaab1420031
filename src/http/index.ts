export { buildApp, type BuildOptions } from './app.js';
export { StopGate } from './stopping.js';
export { VERSION } from '../version.js';

export { buildApp } from './app.js';
export { VERSION } from '../version.js';

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, envNameOf, loadConfig } from './index.js';

describe('loadConfig', () => {
  it('has embedded defaults matching the operations guide', () => {
    const c = loadConfig({ env: {} });
    expect(c.server.port).toBe(8997);
    expect(c.paths.database).toBe('data/alaw.db');
    expect(c.paths.indexDir).toBe('data/index');
    expect(Object.isFrozen(c.search.fields)).toBe(true);
  });

  it('reads ALAW_* variables, aliases and a JSON file, environment winning over the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alaw-cfg-'));
    const file = path.join(dir, 'c.json');
    fs.writeFileSync(file, JSON.stringify({ server: { port: 9000 }, search: { k1: 0.9 } }));
    const c = loadConfig({ env: { ALAW_CONFIG_FILE: file, ALAW_SEARCH_K1: '1.4', ALAW_SEARCH_FIELDS_FULL_TEXT_B: '0.6', INSTANCE_ID: 'a1' } });
    expect(c.server.port).toBe(9000);
    expect(c.search.k1).toBe(1.4);
    expect(c.search.fields.full_text.b).toBe(0.6);
    expect(c.server.instanceId).toBe('a1');
    expect(loadConfig({ env: { PORT: '8080' } }).server.port).toBe(8080);
    fs.rmSync(dir, { recursive: true });
  });

  it('checks the language model settings and reads the key from a file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alaw-cfg-'));
    const keyFile = path.join(dir, 'llm-key');
    fs.writeFileSync(keyFile, 'sk-from-file\n');
    const c = loadConfig({ env: { ALAW_LLM_BASE_URL: 'http://127.0.0.1:11434/v1', ALAW_LLM_MODEL: 'qwen2.5:14b', ALAW_LLM_API_KEY_FILE: keyFile } });
    expect(c.llm).toMatchObject({ baseUrl: 'http://127.0.0.1:11434/v1', model: 'qwen2.5:14b', apiKey: 'sk-from-file', stream: true, timeoutSeconds: 40 });
    const problems = (env: Record<string, string>): string => {
      try {
        loadConfig({ env });
        return '';
      } catch (err) {
        return (err as ConfigError).message;
      }
    };
    expect(problems({ ALAW_LLM_BASE_URL: 'http://127.0.0.1:11434/v1' })).toContain('llm.model (ALAW_LLM_MODEL)');
    expect(problems({ ALAW_LLM_BASE_URL: 'localhost:11434', ALAW_LLM_MODEL: 'm' })).toContain('llm.baseUrl (ALAW_LLM_BASE_URL)');
    expect(problems({ ALAW_LLM_API_KEY_FILE: path.join(dir, 'missing') })).toContain('ENOENT');
    expect(problems({ ALAW_LLM_TIMEOUT_SECONDS: '0' })).toContain('llm.timeoutSeconds');
    fs.rmSync(dir, { recursive: true });
  });

  it('names the bad setting and its variable', () => {
    const attempt = (env: Record<string, string>): ConfigError => {
      try {
        loadConfig({ env });
      } catch (err) {
        return err as ConfigError;
      }
      throw new Error('no error');
    };
    const e = attempt({ ALAW_PORT: '99999' });
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.code).toBe('ALAW_ERR_CONFIG_INVALID');
    expect(e.message).toContain('ALAW_SERVER_PORT');
    expect(attempt({ ALAW_SEARCH_K1: 'abc' }).problems[0]).toContain('search.k1');
    expect(attempt({ ALAW_CONFIG_FILE: '/nonexistent.json' }).problems[0]).toContain('/nonexistent.json');
  });

  it('rejects unknown keys in the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alaw-cfg-'));
    const file = path.join(dir, 'c.json');
    fs.writeFileSync(file, JSON.stringify({ server: { prot: 1 } }));
    expect(() => loadConfig({ env: {}, file })).toThrow(/server\.prot/);
    fs.rmSync(dir, { recursive: true });
  });

  it('derives environment names', () => {
    expect(envNameOf('search.fields.full_text.b')).toBe('ALAW_SEARCH_FIELDS_FULL_TEXT_B');
    expect(envNameOf('search.similarMaxTerms')).toBe('ALAW_SEARCH_SIMILAR_MAX_TERMS');
  });

  it('has the guide queue limits: conservative defaults and the optimized profile', () => {
    const q = loadConfig({ env: {} }).queue;
    expect(q.limits).toEqual({
      search: { max_concurrent: 2, max_queue_size: 10, timeout: 30 },
      analysis: { max_concurrent: 1, max_queue_size: 5, timeout: 60 },
    });
    expect(q.optimizedLimits).toEqual({
      search: { max_concurrent: 3, max_queue_size: 20, timeout: 60 },
      analysis: { max_concurrent: 2, max_queue_size: 15, timeout: 120 },
    });
    expect([q.optimizeBelowMemoryPercent, q.optimizeBelowCpuPercent, q.profile]).toEqual([60, 50, 'auto']);
    expect(q.leaseSeconds).toBeLessThanOrEqual(30);
    expect(loadConfig({ env: {} }).paths.queueDatabase).toBe('data/queue.db');
  });

  it('accepts case_analysis for analysis in the file and the environment, and DATABASE_URL', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alaw-cfg-'));
    const file = path.join(dir, 'c.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        queue: { limits: { case_analysis: { max_concurrent: 2, max_queue_size: 15, timeout: 120 } }, optimizedLimits: { case_analysis: { timeout: 300 } } },
      }),
    );
    const c = loadConfig({ env: { ALAW_CONFIG_FILE: file, ALAW_QUEUE_LIMITS_CASE_ANALYSIS_MAX_QUEUE_SIZE: '7', DATABASE_URL: 'postgres://u@db/alaw' } });
    expect(c.queue.limits.analysis).toEqual({ max_concurrent: 2, max_queue_size: 7, timeout: 120 });
    expect(c.queue.optimizedLimits.analysis.timeout).toBe(300);
    expect(c.queue.databaseUrl).toBe('postgres://u@db/alaw');
    expect(loadConfig({ env: { ALAW_QUEUE_LIMITS_SEARCH_MAX_CONCURRENT: '4' } }).queue.limits.search.max_concurrent).toBe(4);
    fs.rmSync(dir, { recursive: true });
  });

  it('rejects weak admin tokens, a non-postgres DATABASE_URL and impossible limits', () => {
    expect(() => loadConfig({ env: { ALAW_ADMIN_TOKEN: 'short' } })).toThrow(/auth\.adminTokens.*16/);
    expect(() => loadConfig({ env: { ALAW_ADMIN_TOKEN: 'a'.repeat(16) + ',tiny' } })).toThrow(/16/);
    expect(loadConfig({ env: { ALAW_ADMIN_TOKEN: 'a'.repeat(16) + ', ' + 'b'.repeat(20) } }).auth.adminTokens).toContain('b');
    expect(() => loadConfig({ env: { DATABASE_URL: 'mysql://x' } })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ env: { ALAW_QUEUE_LIMITS_SEARCH_MAX_CONCURRENT: '0' } })).toThrow(/queue\.limits\.search\.max_concurrent/);
    expect(() => loadConfig({ env: { ALAW_QUEUE_PROFILE: 'fast' } })).toThrow(/queue\.profile/);
  });
});

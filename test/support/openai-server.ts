import type { LlmSettings } from '../../src/analysis/index.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP server that speaks the OpenAI chat-completions protocol
 * (`POST /v1/chat/completions`, JSON or server-sent events), standing in for
 * vLLM, Ollama or a commercial provider, which cannot run here. The `model`
 * of a request picks its behaviour:
 *
 * - `cite`: answers from the decisions in the prompt, citing the first one as written there;
 * - `invent`: the same, plus a case number no decision has and a real one with the wrong court;
 * - `flaky`: 503 for the first two requests, then `cite`; `always-503`: 503 every time;
 * - `cite-all`: cites every decision of the prompt; `cite:<case number>`: cites that case number;
 * - `bad-request` / `unauthorized`: 400 / 401 with an OpenAI error body;
 * - `slow-start`: no response for 5 s;
 * - `stall`: a few tokens, then silence;
 * - `slow`: one token every 300 ms, for a minute;
 * - `garbage`: 200 with a body that is not the protocol.
 */
export interface RecordedRequest {
  authorization: string | undefined;
  body: { model: string; stream?: boolean; messages: { role: string; content: string }[]; temperature?: number; max_tokens?: number };
}

export interface FakeLlm {
  baseUrl: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The first decision of the prompt as it is written there: `대법원 2019. 5. 30. 선고 2016다276177`. */
function firstSource(body: RecordedRequest['body']): string {
  const user = body.messages.find((m) => m.role === 'user')?.content ?? '';
  const m = /^\[1\] (.+? 선고 \S+)/mu.exec(user);
  return m ? m[1]! : '(판례 없음)';
}

function answer(model: string, body: RecordedRequest['body']): string {
  if (model.startsWith('cite:')) return `참고: ${model.slice(5)} 판결도 같은 쟁점을 다룹니다.`;
  if (model === 'cite-all') {
    const user = body.messages.find((m) => m.role === 'user')?.content ?? '';
    return [...user.matchAll(/^\[(\d+)\] (.+? 선고 \S+)/gmu)].map((m) => `[${m[1]}] ${m[2]} 판결 참조.`).join('\n');
  }
  const source = firstSource(body);
  let text = `① 쟁점: 의뢰인 사건의 쟁점은 손해배상책임의 성립 여부입니다.\n② 관련 판례: [1] ${source} 판결은 비슷한 사실관계에서 판단하였습니다.\n③ 예상: 참고 판례만으로는 판단할 수 없습니다.\n④ 확인할 사실: 계약서와 증거.`;
  if (model === 'invent') text += '\n또한 대법원 2099. 1. 1. 선고 2099다99999 판결과 서울고등법원 2001. 1. 1. 선고 71다1194 판결도 같은 취지입니다.';
  return text;
}

function chunk(model: string, content: string | null, finish: string | null): string {
  const delta = content === null ? {} : { content };
  return `data: ${JSON.stringify({ id: 'chatcmpl-test', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

function pieces(text: string, size = 12): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

export async function startFakeLlm(): Promise<FakeLlm> {
  const requests: RecordedRequest[] = [];
  const counts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString('utf8')));
    req.on('end', () => {
      void (async () => {
        let gone = false;
        res.on('close', () => (gone = true));
        if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
          res
            .writeHead(404, { 'content-type': 'application/json' })
            .end(JSON.stringify({ error: { message: `no route ${req.url}`, type: 'invalid_request_error' } }));
          return;
        }
        const body = JSON.parse(raw) as RecordedRequest['body'];
        requests.push({ authorization: req.headers.authorization, body });
        const n = (counts.get(body.model) ?? 0) + 1;
        counts.set(body.model, n);
        const error = (status: number, message: string) =>
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message, type: 'invalid_request_error', code: null } }));

        switch (body.model) {
          case 'flaky':
            if (n <= 2) return error(503, 'model is loading');
            break;
          case 'always-503':
            return error(503, 'model is loading');
          case 'bad-request':
            return error(400, 'messages: too long for this model');
          case 'unauthorized':
            return error(401, 'Incorrect API key provided');
          case 'slow-start':
            await sleep(5000);
            break;
          case 'garbage':
            res.writeHead(200, { 'content-type': 'application/json' }).end('<html>proxy error</html>');
            return;
        }
        const text = answer(body.model, body);
        if (!body.stream) {
          res.writeHead(200, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              id: 'chatcmpl-test',
              object: 'chat.completion',
              created: 1,
              model: body.model,
              choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
              usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 },
            }),
          );
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
        res.write(chunk(body.model, '', null));
        const parts = pieces(text);
        for (let i = 0; i < parts.length && !gone; i++) {
          if (body.model === 'stall' && i === 3) return; // keep the connection open, send nothing more
          res.write(chunk(body.model, parts[i]!, null));
          await sleep(body.model === 'slow' ? 300 : 40);
        }
        if (body.model === 'slow') {
          for (let i = 0; i < 200 && !gone; i++) {
            res.write(chunk(body.model, '…', null));
            await sleep(300);
          }
        }
        if (gone) return;
        res.write(chunk(body.model, null, 'stop'));
        res.end('data: [DONE]\n\n');
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Model settings for tests against this server: model `cite`, streaming, a 20 s budget, 5 s idle limit, two retries. */
export function llmSettings(baseUrl: string, over: Partial<LlmSettings> = {}): LlmSettings {
  return {
    baseUrl,
    model: 'cite',
    apiKey: 'sk-test-key',
    apiKeyFile: '',
    timeoutSeconds: 20,
    idleTimeoutSeconds: 5,
    maxRetries: 2,
    temperature: 0.2,
    maxTokens: 800,
    stream: true,
    sourceChars: 1500,
    ...over,
  };
}

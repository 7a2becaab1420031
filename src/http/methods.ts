import FindMyWay from 'find-my-way';
import type { FastifyInstance } from 'fastify';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

/**
 * Which methods a path answers to, for a 405 with `Allow` instead of a 404
 * when the path exists but not for that method. Fastify answers both with
 * its not-found handler; this keeps a second copy of the route table in
 * find-my-way (Fastify's own router, same matching rules) filled by an
 * `onRoute` hook, and asks it only on the not-found path.
 */
export class MethodIndex {
  private readonly router: FindMyWay.Instance<FindMyWay.HTTPVersion.V1>;

  constructor(app: FastifyInstance, maxParamLength: number) {
    this.router = FindMyWay({ maxParamLength, ignoreTrailingSlash: false, ignoreDuplicateSlashes: false });
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const m of methods) {
        const method = m.toUpperCase();
        if (!(METHODS as readonly string[]).includes(method) || this.router.hasRoute(method as FindMyWay.HTTPMethod, route.url)) continue;
        this.router.on(method as FindMyWay.HTTPMethod, route.url, () => undefined);
      }
    });
  }

  /** The methods a path (without its query) answers to; empty when no route matches it at all. */
  allowed(path: string): string[] {
    try {
      return METHODS.filter((m) => this.router.find(m, path) !== null);
    } catch {
      return [];
    }
  }
}

import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import type { Request } from 'express';
import { accessPolicyOf } from './access.decorator';
import type { AccessPolicy } from './identity';

export const ROUTE_POLICIES = Symbol('ROUTE_POLICIES');

/** A route of Express's table: its template (`/api/v1/prompts/:id`) and methods. */
interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
  match(path: string): unknown;
}

/** The route a request is for, found before routing ran (the guard never saw it): its template and policy. */
export interface RouteBeforeRouting {
  template: string;
  policy: AccessPolicy;
}

/**
 * Whether a route's pattern matches the path. Express decodes the parameters as it matches: a parameter that is not
 * percent-encoded UTF-8 (`/prompts/%ZZ`) throws, on a path the pattern matched all the same.
 */
function matches(layer: RouteLayer, path: string): boolean {
  try {
    return Boolean(layer.match(path));
  } catch {
    return true;
  }
}

/** The routes of Express's table (Express 5 keeps it in `app.router.stack`). */
function routesOf(app: unknown): RouteLayer[] {
  const stack = (app as { router?: { stack?: RouteLayer[] } } | undefined)?.router?.stack ?? [];
  return stack.filter((layer) => layer.route !== undefined);
}

const joined = (base: string, path: string): string =>
  `/${[base, path]
    .flatMap((part) => part.split('/'))
    .filter(Boolean)
    .join('/')}`;

/** Every handler of a controller, its inherited ones included (a shared `restore`, say). */
function handlersOf(controller: Function): Function[] {
  const handlers: Function[] = [];
  for (let prototype = controller.prototype; prototype && prototype !== Object.prototype;) {
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = (prototype as Record<string, unknown>)[name];
      if (name !== 'constructor' && typeof handler === 'function' && !handlers.includes(handler))
        handlers.push(handler);
    }
    prototype = Object.getPrototypeOf(prototype);
  }
  return handlers;
}

/**
 * The access policy of every route, by `METHOD /template` as Express registers it (`GET /api/v1/prompts/:id`), read
 * from the same decorators the guard reads. A request refused before routing (a body that is not JSON, too large or
 * of another type) is authenticated with its route's policy all the same (AuthGuard.authenticateBeforeRouting).
 */
export class RoutePolicies {
  private readonly policies = new Map<string, AccessPolicy>();

  constructor(controllers: Function[]) {
    for (const controller of controllers) {
      const bases = [Reflect.getMetadata(PATH_METADATA, controller) as string | string[]].flat();
      for (const handler of handlersOf(controller)) {
        const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (paths === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        const policy = accessPolicyOf(controller, handler);
        for (const base of bases)
          for (const path of [paths].flat()) this.policies.set(`${method} ${joined(base, path)}`, policy);
      }
    }
  }

  /**
   * The route Express will match for this request (HEAD as GET), or undefined for an unknown route or method. Nest
   * registers an `@All()` route method by method, under its handler's one policy (`ALL /path`).
   */
  find(request: Request): RouteBeforeRouting | undefined {
    const method = request.method === 'HEAD' ? 'get' : request.method.toLowerCase();
    for (const layer of routesOf(request.app)) {
      const methods = layer.route!.methods;
      if (!methods[method] || !matches(layer, request.path)) continue;
      const path = layer.route!.path;
      const policy = this.policies.get(`${method.toUpperCase()} ${path}`) ?? this.policies.get(`ALL ${path}`);
      if (policy) return { template: path, policy };
    }
    return undefined;
  }

  /**
   * Start-up check that the table and Express agree: every route Express registered under `prefix` has its policy
   * here (a template written otherwise would leave its requests refused before routing unauthenticated).
   */
  assertCovers(app: unknown, prefixes: string[]): void {
    const routes = routesOf(app).filter((layer) => prefixes.some((prefix) => layer.route!.path.startsWith(prefix)));
    // None at all: Express keeps its route table elsewhere now, and `find` would know no route.
    if (routes.length === 0) throw new Error(`no route under ${prefixes.join(', ')} in Express's route table`);
    const missing = routes.flatMap((layer) =>
      Object.keys(layer.route!.methods)
        .map((method) => `${method === '_all' ? 'ALL' : method.toUpperCase()} ${layer.route!.path}`)
        // Nest's `@All()` registers each method of Express's list, under the one policy of its handler.
        .filter((key) => !this.policies.has(key) && !this.policies.has(`ALL ${layer.route!.path}`)),
    );
    if (missing.length > 0) throw new Error(`routes without an access policy: ${missing.join(', ')}`);
  }
}

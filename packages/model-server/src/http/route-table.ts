import type { Context, Hono, MiddlewareHandler } from "hono";

type Method = "GET" | "POST";

interface RoutePath {
  readonly method: Method;
  readonly path: string;
  /** Whether the 404 text lists it (default true; /metrics is served but not advertised). */
  readonly listed?: boolean;
}

/** One route: the table registers it, builds its 405 Allow header and lists it in the 404 text, so the three cannot drift. */
export interface Route<E extends { Variables: { route: string } }> extends RoutePath {
  readonly middleware?: MiddlewareHandler<E>;
  readonly handler: (c: Context<E>) => Response | Promise<Response>;
}

const display = (path: string) => path.replace(/:(\w+)/g, "{$1}");

/** The Allow header of each path: its methods, plus HEAD wherever GET is served. */
function allowedMethods(routes: readonly RoutePath[]): Map<string, string> {
  const byPath = new Map<string, Method[]>();
  for (const { path, method } of routes) byPath.set(path, [...(byPath.get(path) ?? []), method]);
  return new Map([...byPath].map(([path, methods]) => [path, methods.flatMap((m) => (m === "GET" ? ["GET", "HEAD"] : [m])).join(", ")]));
}

/** "GET /, GET|POST /predictions/{model}, ...": the routes a 404 names. */
function describeRoutes(routes: readonly RoutePath[]): string {
  const listed = [...allowedMethods(routes.filter((route) => route.listed !== false))];
  return listed.map(([path, allow]) => `${allow.replace(", HEAD", "").replace(", ", "|")} ${display(path)}`).join(", ");
}

/**
 * Registers every route, labelling it for metrics and logs (`route` variable) without another async
 * middleware layer on the hot path; then a 405 with Allow for each known path's other methods, and a
 * 404 naming the routes for anything else. `errorJson` writes both in the route's error shape.
 */
export function registerRoutes<E extends { Variables: { route: string } }>(
  app: Hono<E>,
  routes: readonly Route<E>[],
  errorJson: (c: Context<E>, status: number, message: string, headers?: Record<string, string>) => Response,
): void {
  for (const route of routes) {
    const register = route.method === "GET" ? app.get.bind(app) : app.post.bind(app);
    const { middleware } = route;
    // Labelled in the first function Hono runs for the route: a 413 or a body-budget 503 from the middleware belongs to it too.
    if (middleware)
      register(
        route.path,
        (c, next) => {
          c.set("route", route.path);
          return middleware(c, next);
        },
        route.handler,
      );
    else
      register(route.path, (c) => {
        c.set("route", route.path);
        return route.handler(c);
      });
  }
  for (const [path, allow] of allowedMethods(routes)) {
    app.all(path, (c) => {
      c.set("route", path);
      return errorJson(c, 405, `${c.req.method} is not allowed on ${c.req.path}; use ${allow}.`, { Allow: allow });
    });
  }
  const known = describeRoutes(routes);
  app.notFound((c) => errorJson(c, 404, `There is no route ${c.req.method} ${c.req.path}. Routes: ${known}.`));
}

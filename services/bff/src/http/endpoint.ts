/**
 * Mounting a route from its contract entry: the roles are checked, then the path, query and body
 * are parsed with the entry's own schemas, and the handler's answer is typed by the entry's
 * response schema. A route cannot take or give what the document does not say.
 */
import type { NextFunction, Request, Response, Router } from 'express';
import type { z } from 'zod';
import type { Endpoint } from './contract.js';
import { requireRole } from './require-role.js';
import { parse } from './validation.js';

type Parsed<S> = S extends z.ZodTypeAny ? z.output<S> : undefined;

export interface Input<E extends Endpoint> {
  params: Parsed<E['params']>;
  query: Parsed<E['query']>;
  body: Parsed<E extends { parseBody: z.ZodTypeAny } ? E['parseBody'] : E['body']>;
}

/** The JSON answer the entry documents (its input shape: what the handler builds), or nothing. */
export type Answer<E extends Endpoint> = E['ok']['schema'] extends z.ZodTypeAny
  ? Promise<z.input<E['ok']['schema']>>
  : Promise<void>;

export type Handler<E extends Endpoint> = (input: Input<E>, req: Request, res: Response) => Answer<E>;

const mounted = new Set<Endpoint>();

/** Every contract entry mounted so far in this process (a test checks none is left out). */
export const mountedEndpoints = (): ReadonlySet<Endpoint> => mounted;

/** `/api/v1/campaigns/{id}` under `/api/v1` → express's `/campaigns/:id` (a literal `:` escaped). */
export function expressPath(path: string, base: string): string {
  if (!path.startsWith(base)) throw new Error(`${path} is not under ${base}`);
  return (
    path
      .slice(base.length)
      .replace(/:/g, '\\:')
      .replace(/\{(\w+)\}/g, ':$1') || '/'
  );
}

export function mount<E extends Endpoint>(router: Router, e: E, handler: Handler<E>, base = '/api/v1'): void {
  mounted.add(e);
  const bodySchema = ('parseBody' in e ? (e.parseBody as z.ZodTypeAny) : undefined) ?? e.body;
  router[e.method](expressPath(e.path, base), (req: Request, res: Response, next: NextFunction) => {
    const run = async () => {
      if (e.roles !== 'public') requireRole(req, ...e.roles);
      const input = {
        params: e.params ? parse(e.params, req.params) : undefined,
        query: e.query ? parse(e.query, req.query) : undefined,
        body: bodySchema ? parse(bodySchema, req.body) : undefined,
      } as Input<E>;
      const answer = await handler(input, req, res);
      if (e.ok.schema && !res.headersSent) res.status(e.ok.status).json(answer);
    };
    run().catch(next);
  });
}

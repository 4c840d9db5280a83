import { HttpException, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { timingSafeEqual } from 'node:crypto';
import type { RouterConfig } from '../config/router.config';
import { ROUTER_CONFIG } from '../config/router.tokens';

/** `/api` needs `Authorization: Bearer <ROUTER_API_TOKEN>`; compared in constant time. */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(@Inject(ROUTER_CONFIG) config: RouterConfig) {
    this.expected = Buffer.from(config.api.token);
  }

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<Request>().headers.authorization ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '');
    if (given.length !== this.expected.length || !timingSafeEqual(given, this.expected)) {
      throw new HttpException(
        { error: 'unauthorized', message: 'send Authorization: Bearer <ROUTER_API_TOKEN>' },
        401,
      );
    }
    return true;
  }
}

/** A 400 whose message names the bad field. */
export function badRequest(field: string, expected: string, got: unknown): HttpException {
  return new HttpException(
    { error: 'bad_request', message: `${field} must be ${expected} (got ${JSON.stringify(got)})` },
    400,
  );
}

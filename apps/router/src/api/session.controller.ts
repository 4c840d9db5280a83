import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpException,
  Inject,
  Logger,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { CookieOptions, Request, Response } from 'express';
import type { RouterConfig } from '../config/router.config';
import { ROUTER_CONFIG } from '../config/router.tokens';
import { ApiTokenGuard, type AuthedRequest } from './api-token.guard';
import { crossSiteProblem } from './same-origin';
import {
  cookieValue,
  SESSION_COOKIE,
  SessionStore,
  SIGN_IN_MAX_FAILURES,
  SIGN_IN_WINDOW_MS,
} from './session.store';

/** `POST /api/session`: the API token, and a name for the audit log (optional). */
export class SignInRequest {
  @ApiProperty({ description: 'ROUTER_API_TOKEN', maxLength: 1_024 })
  @IsString({ message: 'token must be a string (ROUTER_API_TOKEN)' })
  @MaxLength(1_024, { message: 'token must be at most 1024 characters' })
  token!: string;

  @ApiPropertyOptional({
    description: 'Who signs in, recorded with their pauses and resumes (at most 80 characters)',
    example: 'Ana (workforce)',
    maxLength: 80,
  })
  @IsOptional()
  @IsString({ message: 'name must be a string' })
  @MaxLength(80, { message: 'name must be at most 80 characters' })
  @Matches(/^[^\p{Cc}]*$/u, { message: 'name must be one line without control characters' })
  name?: string;
}

/**
 * The dashboard's sign-in: the API token, once, for a session cookie (`HttpOnly`,
 * `SameSite=Strict`, `Path=/`, `Max-Age` of `SESSION_TTL_S`, `Secure` over HTTPS). Wrong tokens
 * are counted per client address: past `SIGN_IN_MAX_FAILURES` within the window, sign-ins from it
 * are refused with 429 and `Retry-After`, whatever the token.
 */
@Controller('api/session')
@ApiTags('session')
export class SessionController {
  private readonly logger = new Logger('Session');

  constructor(
    @Inject(ROUTER_CONFIG) private readonly config: RouterConfig,
    private readonly sessions: SessionStore,
    private readonly guard: ApiTokenGuard,
  ) {}

  /** Signs in: a right token sets the session cookie; a wrong one is a 401, and too many a 429. */
  @Post()
  @HttpCode(200)
  @ApiOkResponse({ description: 'Signed in: the session cookie is set; when it expires' })
  signIn(@Body() body: SignInRequest, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const address = req.ip ?? 'unknown';
    const waitS = this.sessions.retryAfterS(address);
    if (waitS > 0) {
      res.setHeader('Retry-After', String(waitS));
      throw new HttpException(
        {
          error: 'too_many_requests',
          message: `too many wrong tokens from this address: try again in ${waitS} s`,
        },
        429,
      );
    }
    // A page of another site may not sign a browser in (a request without these headers is a script's).
    if (req.headers['sec-fetch-site'] !== undefined || req.headers.origin !== undefined) {
      const crossSite = crossSiteProblem(req, this.config.http.publicUrl);
      if (crossSite) throw new HttpException({ error: 'forbidden', message: crossSite }, 403);
    }
    if (!this.guard.isApiToken(body.token)) {
      const failures = this.sessions.failed(address);
      this.logger.warn(
        `Sign-in refused from ${address}: wrong token (${failures} of ${SIGN_IN_MAX_FAILURES} within ${SIGN_IN_WINDOW_MS / 60_000} min before sign-ins from it are refused)`,
      );
      throw new HttpException({ error: 'unauthorized', message: 'wrong token (ROUTER_API_TOKEN)' }, 401);
    }
    this.sessions.succeeded(address);
    const name = body.name?.trim() || null;
    const { id, session } = this.sessions.create(name);
    res.cookie(SESSION_COOKIE, id, { ...cookieOptions(req), maxAge: this.sessions.ttlMs });
    this.logger.log(
      `Signed in from ${address}${name === null ? '' : ` as ${JSON.stringify(name)}`}: session until ${new Date(session.expiresAt).toISOString()}`,
    );
    return { name, expiresAt: new Date(session.expiresAt).toISOString() };
  }

  /** Who is signed in: the bearer token, or this session (its name and when it expires). */
  @Get()
  @ApiBearerAuth()
  @ApiCookieAuth(SESSION_COOKIE)
  @UseGuards(ApiTokenGuard)
  @ApiOkResponse({ description: 'How this call was authenticated, and the session it belongs to' })
  current(@Req() req: AuthedRequest) {
    const id = cookieValue(req.headers.cookie, SESSION_COOKIE);
    const session = req.caller?.via === 'session' && id ? this.sessions.get(id) : undefined;
    return {
      via: req.caller!.via,
      name: req.caller!.name,
      expiresAt: session ? new Date(session.expiresAt).toISOString() : null,
    };
  }

  /**
   * Signs out: ends the session the cookie names (if any) and clears the cookie; always 204. A
   * page of another site cannot sign a browser out: SameSite=Strict keeps the cookie from it.
   */
  @Delete()
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Signed out: the session has ended and the cookie is cleared' })
  signOut(@Req() req: Request, @Res({ passthrough: true }) res: Response): void {
    const id = cookieValue(req.headers.cookie, SESSION_COOKIE);
    if (id && this.sessions.end(id)) this.logger.log(`Signed out from ${req.ip ?? 'unknown'}`);
    res.clearCookie(SESSION_COOKIE, cookieOptions(req));
  }
}

/** The session cookie's attributes; `Secure` when the request came over HTTPS (`TRUST_PROXY`: as the proxy says). */
function cookieOptions(req: Request): CookieOptions {
  return { httpOnly: true, sameSite: 'strict', path: '/', secure: req.secure };
}

import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';

/** Every error as `{"error": code, "message": ...}`; an unexpected one is logged once, here. */
@Catch()
export class JsonErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Api');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      const status = exception.getStatus();
      res
        .status(status)
        .json(
          typeof body === 'object' && body !== null && 'error' in body
            ? body
            : { error: codeFor(status), message: exception.message },
        );
      return;
    }
    this.logger.error(
      exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
    );
    res.status(500).json({ error: 'internal', message: 'the router failed to answer; see its log' });
  }
}

function codeFor(status: number): string {
  return status === 404
    ? 'not_found'
    : status === 401
      ? 'unauthorized'
      : status >= 500
        ? 'internal'
        : 'bad_request';
}

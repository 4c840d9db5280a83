import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { StoreError } from '../store/account.store';
import { SimHttpError } from './sim-http.error';
import { sendError } from './zendesk-edge.middleware';

/** Renders every failure in the error format of the Zendesk API the request was for. */
@Catch()
export class SimExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Simulator');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const error = this.toSimError(exception);
    if (!response.headersSent) sendError(request, response, error);
  }

  private toSimError(exception: unknown): SimHttpError {
    if (exception instanceof SimHttpError) return exception;
    if (exception instanceof StoreError) {
      return exception.code === 'not_found'
        ? SimHttpError.notFound(exception.message)
        : SimHttpError.badRequest(exception.message);
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const detail = status === 404 ? 'No route matches this method and path' : exception.message;
      const title = status === 404 ? 'Not Found' : status === 413 ? 'Payload Too Large' : 'Bad Request';
      return new SimHttpError(status, title.replace(/ /g, ''), title, detail);
    }
    if (isBodyParserError(exception)) {
      return SimHttpError.badRequest(`The request body is not valid JSON: ${exception.message}`);
    }
    this.logger.error(
      exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
    );
    return new SimHttpError(500, 'InternalServerError', 'Internal Server Error', 'The simulator failed');
  }
}

function isBodyParserError(e: unknown): e is Error & { type: string } {
  return e instanceof Error && typeof (e as { type?: unknown }).type === 'string';
}

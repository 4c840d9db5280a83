/** An HTTP error answer; `SimExceptionFilter` renders it in the body format of the API it belongs to. */
export class SimHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail);
    this.name = 'SimHttpError';
  }

  static badRequest(detail: string): SimHttpError {
    return new SimHttpError(400, 'BadRequest', 'Bad Request', detail);
  }

  static notFound(detail: string): SimHttpError {
    return new SimHttpError(404, 'NotFound', 'Not Found', detail);
  }

  static unprocessable(detail: string): SimHttpError {
    return new SimHttpError(422, 'UnprocessableEntity', 'Unprocessable Entity', detail);
  }

  static forbidden(detail = 'You do not have access to this resource', code = 'Forbidden'): SimHttpError {
    return new SimHttpError(403, code, 'Forbidden', detail);
  }
}

/** The error-body family of a path (section 6): each Zendesk API spells its errors differently. */
export type ApiFamily = 'json-api' | 'capacity' | 'webhooks' | 'support' | 'control';

export function apiFamilyOf(path: string): ApiFamily {
  if (path.startsWith('/api/v2/capacity/')) return 'capacity';
  if (path.startsWith('/api/v2/webhooks')) return 'webhooks';
  if (path.startsWith('/api/v2/users')) return 'support';
  if (path.startsWith('/api/v2/')) return 'json-api';
  return 'control';
}

/** The body Zendesk sends for an error of this family. */
export function errorBody(family: ApiFamily, error: SimHttpError): unknown {
  switch (family) {
    case 'capacity':
      return { error: error.detail };
    case 'webhooks':
      return { errors: [{ code: error.code, title: error.title, detail: error.detail }] };
    case 'json-api':
      return {
        errors: [
          { status: String(error.status), code: error.code, title: error.title, detail: error.detail },
        ],
      };
    case 'support':
      return { error: error.code, description: error.detail };
    case 'control':
      return { error: error.code, message: error.detail };
  }
}

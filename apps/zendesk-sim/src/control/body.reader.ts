import { SimHttpError } from '../http/sim-http.error';

/**
 * Reads fields out of a JSON request body and reports the first bad one by name, so a caller of
 * the control API always learns which field to fix.
 */
export class BodyReader {
  private readonly body: Record<string, unknown>;

  constructor(
    body: unknown,
    private readonly where = 'body',
  ) {
    if (body === undefined || body === null) {
      this.body = {};
    } else if (typeof body !== 'object' || Array.isArray(body)) {
      throw SimHttpError.badRequest(`The ${where} must be a JSON object`);
    } else {
      this.body = body as Record<string, unknown>;
    }
  }

  has(key: string): boolean {
    return this.body[key] !== undefined;
  }

  /** Fails on keys this endpoint does not know, so a typo is not silently ignored. */
  onlyKeys(...known: string[]): this {
    const unknown = Object.keys(this.body).filter((k) => !known.includes(k));
    if (unknown.length > 0) {
      throw SimHttpError.badRequest(
        `Unknown field${unknown.length > 1 ? 's' : ''} in ${this.where}: ${unknown.join(', ')} (known: ${known.join(', ')})`,
      );
    }
    return this;
  }

  int(key: string, min: number, max: number): number | undefined {
    const value = this.body[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      throw this.bad(key, `an integer from ${min} to ${max}`, value);
    }
    return value;
  }

  number(key: string, min: number, max: number): number | undefined {
    const value = this.body[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw this.bad(key, `a number from ${min} to ${max}`, value);
    }
    return value;
  }

  bool(key: string): boolean | undefined {
    const value = this.body[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') throw this.bad(key, 'true or false', value);
    return value;
  }

  string(key: string): string | undefined {
    const value = this.body[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw this.bad(key, 'a string', value);
    return value;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const value = this.body[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      throw this.bad(key, `one of ${allowed.join(', ')}`, value);
    }
    return value as T;
  }

  /** An ISO 8601 time, returned as epoch milliseconds. */
  time(key: string): number | undefined {
    const value = this.body[key];
    if (value === undefined) return undefined;
    const ms = typeof value === 'string' ? Date.parse(value) : NaN;
    if (Number.isNaN(ms)) throw this.bad(key, 'an ISO 8601 time such as 2025-03-14T09:00:00Z', value);
    return ms;
  }

  intArray(key: string): number[] | undefined {
    const value = this.body[key];
    if (value === undefined) return undefined;
    if (
      !Array.isArray(value) ||
      !value.every((v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)
    ) {
      throw this.bad(key, 'an array of non-negative integers', value);
    }
    return value as number[];
  }

  object(key: string): BodyReader | undefined {
    const value = this.body[key];
    if (value === undefined) return undefined;
    return new BodyReader(value, `${this.where}.${key}`);
  }

  keys(): string[] {
    return Object.keys(this.body);
  }

  private bad(key: string, expected: string, got: unknown): SimHttpError {
    return SimHttpError.badRequest(`${this.where}.${key} must be ${expected} (got ${JSON.stringify(got)})`);
  }
}

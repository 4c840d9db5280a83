import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AgentSyncService } from '../sync/agent-sync.service';
import { WebhookDeliveries } from '../sync/webhook-deliveries';
import { WebhookIntake } from '../sync/webhook.intake';

/** The raw request body, read by `readRawBody` before the controller runs. */
export type RequestWithRawBody = Request & { rawBody?: Buffer };

/**
 * `POST /webhooks/zendesk`: verifies, answers at once, and applies the event after answering
 * (Zendesk gives up on a slow endpoint). A rejected request is answered with why, and nothing
 * is enqueued; every outcome is counted (`WebhookDeliveries`).
 */
@Controller('webhooks')
export class WebhookController {
  constructor(
    private readonly intake: WebhookIntake,
    private readonly sync: AgentSyncService,
    private readonly deliveries: WebhookDeliveries,
  ) {}

  @Post('zendesk')
  @HttpCode(200)
  receive(@Req() req: RequestWithRawBody, @Res() res: Response): void {
    const receivedAt = Date.now();
    const outcome = this.intake.receive(req.headers, req.rawBody ?? Buffer.alloc(0));
    this.deliveries.record(outcome);
    if (outcome.kind === 'rejected') {
      res.status(outcome.status).json({
        error: outcome.status === 401 ? 'invalid_signature' : 'bad_request',
        message: outcome.reason,
      });
      return;
    }
    res.status(200).json({ status: outcome.kind });
    if (outcome.kind === 'accepted') void this.sync.onEvent(outcome.envelope, receivedAt);
  }
}

/**
 * Reads the body as raw bytes up to `limit` (what signatures are computed over); 413 beyond it,
 * told to `onRefused` so it is counted with the other rejections.
 */
export function readRawBody(limit: number, onRefused: (reason: string) => void = () => undefined) {
  return (req: RequestWithRawBody, res: Response, next: () => void): void => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit && !refused) {
        refused = true;
        onRefused(`the body is over the ${limit}-byte limit`);
        res
          .status(413)
          .json({ error: 'payload_too_large', message: `the body is over the ${limit}-byte limit` });
        req.resume();
      } else if (!refused) {
        chunks.push(chunk);
      }
    });
    req.on('end', () => {
      if (refused) return;
      req.rawBody = Buffer.concat(chunks);
      next();
    });
  };
}

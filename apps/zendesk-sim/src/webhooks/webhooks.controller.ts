import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
} from '@nestjs/common';
import type { Request } from 'express';
import { baseUrlOf } from '../api/query';
import { SimClock } from '../clock/sim.clock';
import { SIM_CONFIG, type SimConfig } from '../config/sim.config';
import { AllowedFor } from '../http/allowed-for.guard';
import { SimHttpError } from '../http/sim-http.error';
import { WebhookDeliveryLog } from './webhook-delivery.log';
import { readWebhookInput, readWebhookPatch } from './webhook-input.reader';
import { invocationPage, invocationsOf, presentAttempt, readInvocationQuery } from './webhook-invocations';
import { presentSigningSecret, presentWebhook } from './webhook.presenter';
import { WebhookDispatcher } from './webhook.dispatcher';
import { WebhookRegistry, type Webhook } from './webhook.registry';
import { WebhookTester } from './webhook.tester';

/**
 * The Webhooks API for event webhooks (sections 11.1, 11.8 and 11.10), Admins only. Errors come
 * out as `{"errors": [{code, title, detail}]}` through the exception filter.
 */
@Controller('api/v2/webhooks')
export class WebhooksController {
  constructor(
    private readonly registry: WebhookRegistry,
    private readonly dispatcher: WebhookDispatcher,
    private readonly deliveries: WebhookDeliveryLog,
    private readonly tester: WebhookTester,
    private readonly clock: SimClock,
    @Inject(SIM_CONFIG) private readonly config: SimConfig,
  ) {}

  /** One page holds them all: an account has few webhooks (trial accounts at most 10). */
  @Get()
  @AllowedFor('admins')
  list(@Query() query: Record<string, unknown>) {
    const status = query['filter[status]'];
    const nameContains = query['filter[name_contains]'];
    if (status !== undefined && status !== 'active' && status !== 'inactive') {
      throw SimHttpError.badRequest('filter[status] must be active or inactive');
    }
    const needle = typeof nameContains === 'string' ? nameContains.toLowerCase() : null;
    const webhooks = this.registry
      .list()
      .filter((w) => status === undefined || w.status === status)
      .filter((w) => needle === null || w.name.toLowerCase().includes(needle));
    return {
      webhooks: webhooks.map(presentWebhook),
      meta: { has_more: false, after_cursor: null, before_cursor: null },
      links: {},
    };
  }

  @Post()
  @HttpCode(201)
  @AllowedFor('admins')
  create(@Body() body: unknown) {
    return { webhook: presentWebhook(this.registry.create(readWebhookInput(body))) };
  }

  /**
   * Sends one signed test request now (to `webhook_id`'s webhook, or to a webhook not created
   * yet) and answers with what the receiver said; never retried, never an invocation.
   */
  @Post('test')
  @HttpCode(200)
  @AllowedFor('admins')
  test(@Query('webhook_id') webhookId: string | undefined, @Body() body: unknown) {
    return this.tester.test(webhookId, body, this.dispatcher.settings().responseTimeoutMs);
  }

  @Get(':id')
  @AllowedFor('admins')
  show(@Param('id') id: string) {
    return { webhook: presentWebhook(this.webhook(id)) };
  }

  /** Replaces the whole webhook; like Zendesk, answers 204 without a body. */
  @Put(':id')
  @HttpCode(204)
  @AllowedFor('admins')
  replace(@Param('id') id: string, @Body() body: unknown): void {
    this.webhook(id);
    this.applied(this.registry.update(id, readWebhookInput(body)));
  }

  /** Changes only the members sent (e.g. `{"webhook": {"status": "inactive"}}`); 204 without a body. */
  @Patch(':id')
  @HttpCode(204)
  @AllowedFor('admins')
  patch(@Param('id') id: string, @Body() body: unknown): void {
    this.webhook(id);
    this.applied(this.registry.update(id, readWebhookPatch(body)));
  }

  @Delete(':id')
  @HttpCode(204)
  @AllowedFor('admins')
  remove(@Param('id') id: string): void {
    if (!this.registry.delete(id)) throw notFound(id);
    this.dispatcher.discardPending(id, 'webhook was deleted');
  }

  @Get(':id/signing_secret')
  @AllowedFor('admins')
  showSecret(@Param('id') id: string) {
    return presentSigningSecret(this.webhook(id));
  }

  /** Rotates the secret; deliveries from now on, retries included, are signed with the new one. */
  @Post(':id/signing_secret')
  @HttpCode(201)
  @AllowedFor('admins')
  rotateSecret(@Param('id') id: string) {
    const webhook = this.registry.rotateSecret(id);
    if (!webhook) throw notFound(id);
    return presentSigningSecret(webhook);
  }

  /** The last seven days of deliveries, one invocation per event, newest first by default. */
  @Get(':id/invocations')
  @AllowedFor('admins')
  invocations(@Param('id') id: string, @Query() query: Record<string, unknown>, @Req() req: Request) {
    this.webhook(id);
    const all = invocationsOf(this.deliveries.list(), id, this.clock.now());
    const self = new URL(req.originalUrl, baseUrlOf(req, this.config.publicUrl));
    return invocationPage(all, readInvocationQuery(query), self);
  }

  @Get(':id/invocations/:invocationId/attempts')
  @AllowedFor('admins')
  attempts(@Param('id') id: string, @Param('invocationId') invocationId: string) {
    this.webhook(id);
    const invocation = invocationsOf(this.deliveries.list(), id, this.clock.now()).find(
      (i) => i.id === invocationId,
    );
    if (!invocation)
      throw SimHttpError.notFound(
        `Invocation ${JSON.stringify(invocationId)} of webhook ${id} was not found`,
      );
    return { attempts: invocation.attempts.map(presentAttempt) };
  }

  private webhook(id: string): Webhook {
    const webhook = this.registry.find(id);
    if (!webhook) throw notFound(id);
    return webhook;
  }

  /** A webhook that stops being active loses what it has not been sent yet. */
  private applied(webhook: Webhook | undefined): void {
    if (webhook && webhook.status !== 'active') {
      this.dispatcher.discardPending(webhook.id, 'webhook was deactivated');
    }
  }
}

function notFound(id: string): SimHttpError {
  return SimHttpError.notFound(`Webhook ${JSON.stringify(id)} was not found`);
}

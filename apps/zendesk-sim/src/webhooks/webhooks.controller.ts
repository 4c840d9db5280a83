import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { AllowedFor } from '../http/allowed-for.guard';
import { SimHttpError } from '../http/sim-http.error';
import { readWebhookInput, readWebhookPatch } from './webhook-input.reader';
import { presentSigningSecret, presentWebhook } from './webhook.presenter';
import { WebhookDispatcher } from './webhook.dispatcher';
import { WebhookRegistry, type Webhook } from './webhook.registry';

/**
 * The Webhooks API subset for event webhooks (sections 11.1 and 11.8), Admins only. Errors come
 * out as `{"errors": [{code, title, detail}]}` through the exception filter.
 */
@Controller('api/v2/webhooks')
export class WebhooksController {
  constructor(
    private readonly registry: WebhookRegistry,
    private readonly dispatcher: WebhookDispatcher,
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

import { ConfigurableModuleBuilder, Module } from '@nestjs/common';
import { ZendeskClient } from './zendesk.client';
import type { ZendeskClientOptions } from './zendesk.options';

const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } =
  new ConfigurableModuleBuilder<ZendeskClientOptions>().setClassMethodName('forRoot').build();

/** Provides one `ZendeskClient` per application: `ZendeskModule.forRoot(options)` or `forRootAsync`. */
@Module({
  providers: [
    {
      provide: ZendeskClient,
      useFactory: (options: ZendeskClientOptions) => new ZendeskClient(options),
      inject: [MODULE_OPTIONS_TOKEN],
    },
  ],
  exports: [ZendeskClient],
})
export class ZendeskModule extends ConfigurableModuleClass {}

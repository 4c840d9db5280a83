import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { SimConfigError, loadSimConfig } from './config/sim.config';
import { createSimApp } from './sim.app';

async function main(): Promise<void> {
  const config = loadSimConfig();
  const app = await createSimApp(config);
  await app.listen(config.port, config.host);
  const url = (await app.getUrl()).replace('[::1]', 'localhost');
  const logger = new Logger('Simulator');
  logger.log(`Zendesk simulator for account ${config.accountId} listening on ${url}`);
  logger.log(
    `${config.agentCount} agents, seed ${config.seed}, activity ${config.activity ? 'on' : 'off'}, ${config.rateLimitPerMin} requests/min`,
  );
  logger.log(
    `Admin: ${config.admin.email} with its API token; agent: ${config.agent.email}; control API at ${url}/sim`,
  );
}

main().catch((error: unknown) => {
  if (error instanceof SimConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});

import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { SimConfigError, loadSimConfig } from './config/sim.config';
import { createSimApp } from './sim.app';

async function main(): Promise<void> {
  const config = loadSimConfig();
  // First, so that a parent dying during the start ends the simulator there and then.
  if (config.exitWithParent) exitWhenStdinEnds();
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

/**
 * Exits once stdin reaches its end: the parent holds the other end of that pipe, and the kernel
 * closes it however the parent ends. The account lives in memory only, so there is nothing to save
 * first, and no graceful close that could hang on a connection to the departed parent.
 */
function exitWhenStdinEnds(): void {
  const exit = () => {
    process.stderr.write('Zendesk simulator: the process that started it has ended; stopping\n');
    process.exit(0);
  };
  process.stdin.once('end', exit).once('close', exit).once('error', exit);
  // Flowing with no 'data' listener: whatever the parent writes is read and dropped.
  process.stdin.resume();
}

main().catch((error: unknown) => {
  if (error instanceof SimConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});

import { Body, Controller, Get, Put } from '@nestjs/common';
import { BodyReader } from '../control/body.reader';
import { SimHttpError } from '../http/sim-http.error';
import { ACTIVITY_STEP_MS, ActivityGenerator } from './activity.generator';

/** `GET/PUT /sim/activity`: whether the simulated day runs, and what it has done. */
@Controller('sim/activity')
export class ActivityControlController {
  constructor(private readonly activity: ActivityGenerator) {}

  @Get()
  state() {
    const stats = this.activity.stats();
    return {
      running: this.activity.isRunning(),
      step_ms: ACTIVITY_STEP_MS,
      steps: stats.steps,
      work_items_added: stats.workItemsAdded,
      work_items_finished: stats.workItemsFinished,
      offers_missed: stats.offersMissed,
      status_changes: stats.statusChanges,
    };
  }

  @Put()
  set(@Body() body: unknown) {
    const enabled = new BodyReader(body).onlyKeys('enabled').bool('enabled');
    if (enabled === undefined) throw SimHttpError.badRequest('body.enabled is required: true or false');
    if (enabled) this.activity.start();
    else this.activity.stop();
    return this.state();
  }
}

import { Controller, Get, Header } from '@nestjs/common';
import { RouterMetrics } from '../metrics/router.metrics';

/** `GET /metrics` (open, for Prometheus). */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: RouterMetrics) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

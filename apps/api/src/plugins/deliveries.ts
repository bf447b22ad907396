import fp from 'fastify-plugin';
import { phoneCountry } from '@sms/core';
import { SmsDeliveriesRepository, type DeliveryReport } from '@sms/db';
import { Counter } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    deliveries: {
      /** Records a provider's delivery report on its message. */
      apply(report: DeliveryReport): Promise<'applied' | 'stale' | 'unknown'>;
      /** Counts a verified phone by its country (the funnel's last step). */
      countVerified(phone: string): void;
      repository: SmsDeliveriesRepository;
    };
  }
}

/**
 * Delivery reports and the API's half of the verification funnel, by
 * destination country (never the number): with the worker's
 * sms_codes_sent_total, the delivery rate and the verification rate per
 * country are one PromQL division each (docs/delivery-reports.md).
 */
export default fp(
  async (fastify) => {
    const registers = [fastify.metrics];
    const reports = new Counter({
      name: 'sms_delivery_reports_total',
      help: 'Messages reaching a final delivery status, by destination country',
      labelNames: ['country', 'delivery_status'] as const,
      registers,
    });
    const verified = new Counter({
      name: 'sms_codes_verified_total',
      help: 'Phones verified with a code, by country',
      labelNames: ['country'] as const,
      registers,
    });
    const repository = new SmsDeliveriesRepository(fastify.db);
    fastify.decorate('deliveries', {
      repository,
      async apply(report: DeliveryReport) {
        const outcome = await repository.applyReport(report);
        if (outcome.result !== 'applied') return outcome.result;
        if (report.deliveryStatus !== null && report.deliveryStatus !== outcome.previous) {
          reports.inc({ country: phoneCountry(outcome.recipient), delivery_status: report.deliveryStatus });
        }
        return 'applied';
      },
      countVerified(phone: string) {
        verified.inc({ country: phoneCountry(phone) });
      },
    });
  },
  { name: 'deliveries', dependencies: ['db', 'metrics'] },
);

package dev.waybill.examples.spring;

import dev.waybill.inbox.InboxConfig;
import dev.waybill.inbox.InboxConsumer;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import javax.sql.DataSource;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The billing consumer: Waybill's {@link InboxConsumer} running {@link BillingHandler} for every
 * {@code OrderPlaced} event, tied to the context's lifecycle. It starts after every bean is ready
 * and stops (running handlers finish, offsets are committed, the group is left) before the data
 * source closes.
 */
@Component
public class BillingConsumer implements SmartLifecycle {

  private final DataSource dataSource;
  private final OrdersProperties orders;
  private final WaybillProperties waybill;
  private final BillingHandler handler;
  private final MeterRegistry meterRegistry;
  private volatile InboxConsumer consumer;

  BillingConsumer(
      DataSource dataSource,
      OrdersProperties orders,
      WaybillProperties waybill,
      BillingHandler handler,
      MeterRegistry meterRegistry,
      WaybillSchema schema) { // the inbox table exists before the consumer starts
    this.dataSource = dataSource;
    this.orders = orders;
    this.waybill = waybill;
    this.handler = handler;
    this.meterRegistry = meterRegistry;
  }

  @Override
  public synchronized void start() {
    if (consumer != null) {
      return;
    }
    InboxConsumer c =
        InboxConsumer.builder()
            .config(
                InboxConfig.builder().groupId(orders.billingGroup()).topics(orders.topic()).build())
            .dataSource(dataSource)
            // a new group starts at the beginning of the topic, so events published before its
            // first assignment are billed too (Kafka's default, latest, would skip them)
            .kafka(
                Map.of(
                    "bootstrap.servers",
                    waybill.kafkaBootstrapServers(),
                    "auto.offset.reset",
                    "earliest"))
            .handler(OrderPlaced.TYPE, handler)
            .meterRegistry(meterRegistry)
            .build();
    c.start();
    consumer = c;
  }

  @Override
  public synchronized void stop() {
    if (consumer != null) {
      consumer.close();
      consumer = null;
    }
  }

  @Override
  public boolean isRunning() {
    return consumer != null;
  }
}

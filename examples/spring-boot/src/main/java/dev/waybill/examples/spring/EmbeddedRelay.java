package dev.waybill.examples.spring;

import dev.waybill.relay.Relay;
import dev.waybill.relay.RelayConfig;
import io.micrometer.core.instrument.MeterRegistry;
import javax.sql.DataSource;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The outbox relay, embedded in the application and tied to the context's lifecycle: it starts
 * after every bean is ready and stops (settling the batch in flight and giving its shard leases
 * back) before the data source closes. Every instance of the application runs one; shard leases
 * keep one publisher per key at a time. To run the relay as a sidecar instead ({@code
 * outbox-relay.jar run}), remove this bean: the writers do not change.
 */
@Component
public class EmbeddedRelay implements SmartLifecycle {

  private final DataSource dataSource;
  private final WaybillProperties properties;
  private final MeterRegistry meterRegistry;
  private volatile Relay relay;

  EmbeddedRelay(
      DataSource dataSource,
      WaybillProperties properties,
      MeterRegistry meterRegistry,
      WaybillSchema schema) { // the tables exist before the relay starts
    this.dataSource = dataSource;
    this.properties = properties;
    this.meterRegistry = meterRegistry;
  }

  @Override
  public synchronized void start() {
    if (relay != null) {
      return;
    }
    Relay r =
        Relay.builder()
            .config(
                RelayConfig.builder()
                    .instanceId(properties.relayInstanceIdOrDefault())
                    .source("urn:example:orders")
                    .bootstrapServers(properties.kafkaBootstrapServers())
                    .build())
            .dataSource(dataSource)
            .meterRegistry(meterRegistry)
            .build();
    r.start();
    relay = r;
  }

  @Override
  public synchronized void stop() {
    if (relay != null) {
      relay.close();
      relay = null;
    }
  }

  @Override
  public boolean isRunning() {
    return relay != null;
  }

  /** Whether the relay's loop runs and both the database and Kafka answered recently. */
  public boolean healthy() {
    Relay r = relay;
    return r != null && r.healthy();
  }
}

package dev.waybill.relay;

import dev.waybill.outbox.dialect.Dialect;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * Moves committed outbox rows to Kafka: claims rows of the shards it leases, publishes them with an
 * idempotent {@code acks=all} producer as CloudEvents, and deletes each row only after Kafka
 * acknowledged it. Run one or many instances against the same outbox: shard leases keep at most one
 * publisher per key at a time, so per-key order holds across relays and handovers. With {@code
 * relay.mode=cdc} (PostgreSQL) the relay reads committed messages from the write-ahead log through
 * a logical replication slot instead; one relay reads the slot, the others stand by (docs/cdc.md).
 *
 * <pre>{@code
 * try (Relay relay = Relay.builder().config(config).dataSource(ds).build()) {
 *   relay.start();
 *   ...
 * } // close(): finish or abandon the in-flight batch, give back the leases
 * }</pre>
 *
 * <p>Thread-safe. The relay runs on its own threads; {@link #close()} is idempotent.
 */
public interface Relay extends AutoCloseable {

  /**
   * A builder; the config and a data source are required.
   *
   * @return a new builder; not thread-safe
   */
  static Builder builder() {
    return new Builder();
  }

  /**
   * Starts the relay: checks the schema, Kafka's acceptance of its credentials (at most about 3 s;
   * a cluster that does not answer is waited for later, as through any outage) and the lease table,
   * then publishes in the background.
   *
   * @throws dev.waybill.outbox.WaybillException when the database or the schema is not usable, or
   *     when Kafka refuses the relay's credentials (the message names the user and the mechanism)
   */
  void start();

  /**
   * Stops gracefully: no new batch is claimed, the in-flight batch is awaited (at most the send
   * timeout), its acknowledged rows are deleted, and every lease is given back so another relay
   * takes over at once. Idempotent.
   */
  @Override
  void close();

  /**
   * This relay's instance id.
   *
   * @return the configured {@code relay.instance.id}
   */
  String instanceId();

  /**
   * A snapshot of what this relay is doing (counters since start, owned shards).
   *
   * @return an immutable snapshot; safe to call from any thread
   */
  RelayStatus status();

  /**
   * Whether the loop runs and both the database and Kafka answered recently: the relay is ready to
   * publish. False during a database or Kafka outage, which the relay rides out by itself.
   *
   * @return true when {@code /health/ready} (and {@code /health}) should answer {@code UP}
   */
  boolean healthy();

  /**
   * Whether the relay's own threads work: it was started, is not stopped, and its publish loop and
   * maintenance task are alive. Unlike {@link #healthy()} it stays true during a database or Kafka
   * outage; false means only a restart helps.
   *
   * @return true when {@code /health/live} should answer {@code UP}
   */
  boolean live();

  /** Builds a {@link Relay}. Not thread-safe. */
  final class Builder {
    private RelayConfig config;
    private DataSource dataSource;
    private Dialect dialect;
    private MeterRegistry registry;

    private Builder() {}

    /**
     * The settings (required).
     *
     * @param config the validated settings
     * @return this builder
     */
    public Builder config(RelayConfig config) {
      this.config = Objects.requireNonNull(config, "config");
      return this;
    }

    /**
     * The database (required); the relay does not close it.
     *
     * @param dataSource the outbox's database; needs up to three connections at once
     * @return this builder
     */
    public Builder dataSource(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
      return this;
    }

    /**
     * The dialect; detected from the data source when not set.
     *
     * @param dialect the dialect, or null to detect it
     * @return this builder
     */
    public Builder dialect(Dialect dialect) {
      this.dialect = dialect;
      return this;
    }

    /**
     * Where meters are registered (default: a private simple registry).
     *
     * @param registry the registry that receives the {@code waybill.relay.*} meters
     * @return this builder
     */
    public Builder meterRegistry(MeterRegistry registry) {
      this.registry = registry;
      return this;
    }

    /**
     * @return a relay that is not started yet
     * @throws NullPointerException when config or data source are missing
     */
    public Relay build() {
      Objects.requireNonNull(config, "config is required");
      Objects.requireNonNull(dataSource, "dataSource is required");
      MeterRegistry r = registry == null ? new SimpleMeterRegistry() : registry;
      if (config.mode() == RelayConfig.RelayMode.CDC) {
        return new CdcRelay(config, dataSource, dialect, r);
      }
      return new PollingRelay(config, dataSource, dialect, r);
    }
  }
}

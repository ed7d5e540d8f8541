package dev.waybill.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.waybill.inbox.InboxConfig;
import dev.waybill.inbox.InboxConsumer;
import dev.waybill.outbox.jdbc.DatabaseSettings;
import dev.waybill.outbox.schema.SchemaComponent;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.outbox.wire.CloudEventHeaders;
import dev.waybill.relay.Relay;
import dev.waybill.relay.RelayConfig;
import dev.waybill.relay.http.HttpEndpoint;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import dev.waybill.testkit.TestKafka;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Runs a polling relay, a CDC relay and an inbox consumer against real PostgreSQL and Kafka, makes
 * the traffic that brings every meter into being (a relay retry, a dead letter that parks its key,
 * a consumer retry, a dead-lettered record, a duplicate), scrapes them in Prometheus text format
 * (the relays through their {@code /metrics} endpoint), and checks that every metric and label the
 * shipped Grafana dashboard and Prometheus rules name is in the scrape.
 */
class DeployedMetricsIT {
  final TestKafka kafka = TestKafka.get();
  final String s = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
  final String topic = "deploy-" + s;
  final String slot = "wb_t_deploy_" + s;
  final List<AutoCloseable> open = new ArrayList<>();
  TestDatabase polled;
  TestDatabase streamed;

  @AfterEach
  void tearDown() throws Exception {
    FlakyPartitioner.failures.set(0);
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    if (streamed != null) {
      // the WAL sender of the closed relay may need a moment to let go of the slot
      await()
          .atMost(Duration.ofSeconds(20))
          .ignoreExceptions()
          .until(
              () -> {
                try (Connection c = streamed.connect();
                    PreparedStatement st =
                        c.prepareStatement(
                            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                                + " WHERE slot_name = ?")) {
                  st.setString(1, slot);
                  st.execute();
                }
                return true;
              });
      streamed.close();
    }
    if (polled != null) {
      polled.close();
    }
  }

  @Test
  void everyMetricAndLabelOfTheDashboardAndTheAlertRulesIsScrapedFromARunningRelayAndConsumer()
      throws Exception {
    kafka.createTopic(topic, 2);
    kafka.createTopic(topic + ".DLT", 1);

    // a polling relay, with one send failing once (a retry), behind its /metrics endpoint
    polled = TestDatabases.postgres();
    SchemaMigrator.builder().dataSource(polled.dataSource()).build().migrate();
    SchemaMigrator.builder()
        .dataSource(polled.dataSource())
        .component(SchemaComponent.inbox())
        .build()
        .migrate();
    FlakyPartitioner.failures.set(1);
    PrometheusMeterRegistry pollingRegistry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Relay polling =
        start(
            relayConfig("poll-" + s)
                .shards(4)
                .pollInterval(Duration.ofMillis(100))
                .lease(Duration.ofSeconds(6), Duration.ofMillis(500))
                .kafka("partitioner.class", FlakyPartitioner.class.getName())
                .build(),
            polled,
            pollingRegistry);
    HttpEndpoint pollingHttp = HttpEndpoint.start("127.0.0.1", 0, polling, pollingRegistry);
    open.add(pollingHttp);

    // a CDC relay on a database of its own (its slot-lag gauge exists only in CDC mode)
    streamed = TestDatabases.postgres();
    SchemaMigrator.builder().dataSource(streamed.dataSource()).build().migrate();
    PrometheusMeterRegistry cdcRegistry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Relay cdc =
        start(
            relayConfig("cdc-" + s)
                .mode(RelayConfig.RelayMode.CDC)
                .cdc(
                    RelayConfig.CdcConfig.defaults()
                        .withNames(slot, "waybill_outbox")
                        .withHeartbeat(Duration.ofMillis(300))
                        .withStandbyInterval(Duration.ofMillis(200)))
                .database(
                    DatabaseSettings.of(streamed.jdbcUrl(), streamed.user(), streamed.password()))
                .build(),
            streamed,
            cdcRegistry);
    HttpEndpoint cdcHttp = HttpEndpoint.start("127.0.0.1", 0, cdc, cdcRegistry);
    open.add(cdcHttp);

    // the inbox consumer, in its application's registry
    PrometheusMeterRegistry consumerRegistry =
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    AtomicBoolean flakyFailed = new AtomicBoolean();
    InboxConsumer consumer =
        InboxConsumer.builder()
            .config(
                InboxConfig.builder()
                    .groupId("g-" + s)
                    .topics(topic)
                    .backoff(Duration.ofMillis(10), 2.0, Duration.ofMillis(50), 0.5)
                    .maxAttempts(2)
                    .pollTimeout(Duration.ofMillis(100))
                    .shutdownTimeout(Duration.ofSeconds(10))
                    .build())
            .dataSource(polled.dataSource())
            .kafka(
                Map.of(
                    "bootstrap.servers", kafka.bootstrapServers(), "auto.offset.reset", "earliest"))
            .meterRegistry(consumerRegistry)
            .handler("Handled", (m, tx) -> {})
            .handler(
                "Flaky",
                (m, tx) -> {
                  if (flakyFailed.compareAndSet(false, true)) {
                    throw new IllegalStateException("fails once");
                  }
                })
            .handler(
                "Poison",
                (m, tx) -> {
                  throw new IllegalStateException("always fails");
                })
            .build();
    open.add(consumer);
    consumer.start();

    insert(polled, topic, "a", "Handled");
    insert(polled, topic, FlakyPartitioner.KEY, "Handled"); // the relay retries its send
    insert(polled, "bad topic", "parked", "Handled"); // dead-lettered: parks its key
    insert(polled, topic, "parked", "Handled"); // held behind it
    insert(polled, topic, "b", "Flaky"); // the consumer retries it
    insert(polled, topic, "c", "Poison"); // the consumer dead-letters it
    insert(streamed, topic, "d", "Handled"); // through the slot
    String id = UUID.randomUUID().toString();
    send(id);
    send(id); // a duplicate

    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              assertThat(count(pollingRegistry, "waybill.relay.retried")).isPositive();
              assertThat(count(pollingRegistry, "waybill.relay.dead.lettered")).isPositive();
              assertThat(gauge(pollingRegistry, "waybill.relay.parked.keys")).isEqualTo(1);
              assertThat(count(cdcRegistry, "waybill.relay.published")).isPositive();
              assertThat(count(consumerRegistry, "waybill.inbox.handled")).isPositive();
              assertThat(count(consumerRegistry, "waybill.inbox.retries")).isPositive();
              assertThat(count(consumerRegistry, "waybill.inbox.dead.lettered")).isPositive();
              assertThat(count(consumerRegistry, "waybill.inbox.duplicates")).isPositive();
            });

    Scrape scrape =
        new Scrape().add(get(pollingHttp)).add(get(cdcHttp)).add(consumerRegistry.scrape());
    assertThat(scrape.names()).contains("waybill_relay_cdc_slot_lag_bytes", "waybill_inbox_lag");
    assertThat(new DeployFiles().problemsAgainst(scrape))
        .as(
            "metrics and labels of %s and %s; scraped: %s",
            DeployFiles.DASHBOARD, DeployFiles.RULES, scrape.names())
        .isEmpty();
  }

  RelayConfig.Builder relayConfig(String instance) {
    return RelayConfig.builder()
        .instanceId(instance)
        .bootstrapServers(kafka.bootstrapServers())
        .sendTimeout(Duration.ofSeconds(3))
        .backoff(Duration.ofMillis(50), Duration.ofMillis(500));
  }

  Relay start(RelayConfig config, TestDatabase db, MeterRegistry registry) {
    Relay r =
        Relay.builder().config(config).dataSource(db.dataSource()).meterRegistry(registry).build();
    open.add(r);
    r.start();
    return r;
  }

  /** Inserts a row with plain SQL. */
  static void insert(TestDatabase db, String rowTopic, String key, String type)
      throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement st =
            c.prepareStatement(
                "INSERT INTO waybill_outbox (topic, msg_key, event_type, payload)"
                    + " VALUES (?, ?, ?, ?)")) {
      st.setString(1, rowTopic);
      st.setString(2, key);
      st.setString(3, type);
      st.setBytes(4, "{}".getBytes(StandardCharsets.UTF_8));
      st.executeUpdate();
    }
  }

  void send(String id) throws Exception {
    RecordHeaders h = new RecordHeaders();
    h.add(CloudEventHeaders.ID, id.getBytes(StandardCharsets.UTF_8));
    h.add(CloudEventHeaders.TYPE, "Handled".getBytes(StandardCharsets.UTF_8));
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(kafka.producerProperties())) {
      p.send(new ProducerRecord<>(topic, null, "e".getBytes(), "{}".getBytes(), h)).get();
    }
  }

  static double count(MeterRegistry registry, String name) {
    return registry.find(name).counters().stream().mapToDouble(Counter::count).sum();
  }

  static double gauge(MeterRegistry registry, String name) {
    Gauge g = registry.find(name).gauge();
    return g == null ? Double.NaN : g.value();
  }

  static String get(HttpEndpoint endpoint) throws Exception {
    HttpRequest get =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + "/metrics"))
            .build();
    HttpResponse<String> response =
        HttpClient.newHttpClient().send(get, HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body();
  }
}

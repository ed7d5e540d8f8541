package dev.waybill.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.internal.Json;
import dev.waybill.outbox.internal.SqlScripts;
import dev.waybill.outbox.schema.MigrationResult;
import dev.waybill.outbox.schema.SchemaComponent;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.outbox.schema.TableNames;
import dev.waybill.testkit.TestDatabase;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/**
 * The outbox writer's contract, run against every supported database: each dialect's test class
 * subclasses it in a few lines. The test methods are final so every database is held to the same
 * promises.
 */
abstract class OutboxContract {
  static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  TestDatabase db;
  Outbox outbox;

  /** A new empty database of the engine under test. */
  abstract TestDatabase newDatabase();

  /** The dialect expected for that engine. */
  abstract Dialect dialect();

  @BeforeEach
  void setUp() {
    db = newDatabase();
    MigrationResult r = SchemaMigrator.builder().dataSource(db.dataSource()).build().migrate();
    assertThat(r.applied()).containsExactly(1, 2);
    outbox = Outbox.builder().build();
  }

  @AfterEach
  void tearDown() {
    if (db != null) {
      db.close();
    }
  }

  @Test
  final void commitLeavesExactlyTheWrittenMessages() throws Exception {
    Instant notBefore = Instant.now().plus(Duration.ofHours(1)).truncatedTo(ChronoUnit.MILLIS);
    OutboxMessage keyed =
        OutboxMessage.builder()
            .topic("orders")
            .key("order-1")
            .eventType("OrderPlaced")
            .jsonPayload("{\"orderId\":\"order-1\",\"total\":12.5}")
            .header("tenant", "acme")
            .header("schema-version", "2")
            .traceparent(TRACEPARENT)
            .build();
    OutboxMessage keyless =
        OutboxMessage.builder()
            .topic("audit.events")
            .eventType("Audited")
            .payload(Payload.bytes(new byte[] {0, 1, (byte) 255}))
            .notBefore(notBefore)
            .build();
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      business(c, "order-1");
      assertThat(outbox.write(c, keyed)).isEqualTo(keyed.id());
      assertThat(outbox.write(c, keyless)).isEqualTo(keyless.id());
      c.commit();
    }
    List<Row> rows = rows();
    assertThat(rows).hasSize(2);
    Row a = rows.get(0);
    assertThat(a.id).isEqualTo(keyed.id().value());
    assertThat(a.topic).isEqualTo("orders");
    assertThat(a.key).isEqualTo("order-1");
    assertThat(a.eventType).isEqualTo("OrderPlaced");
    assertThat(a.contentType).isEqualTo("application/json");
    assertThat(new String(a.payload, StandardCharsets.UTF_8))
        .isEqualTo("{\"orderId\":\"order-1\",\"total\":12.5}");
    assertThat(Json.decodeObject(a.headers))
        .containsExactly(Map.entry("tenant", "acme"), Map.entry("schema-version", "2"));
    assertThat(a.traceparent).isEqualTo(TRACEPARENT);
    assertThat(a.availableAt).isEmpty();
    assertThat(a.createdAt).isPresent();
    assertThat(Duration.between(a.createdAt.get(), Instant.now()).abs())
        .isLessThan(Duration.ofMinutes(1));
    assertThat(a.shard).isBetween(0, 1023);
    Row b = rows.get(1);
    assertThat(b.seq).isGreaterThan(a.seq);
    assertThat(b.key).isNull();
    assertThat(b.shard).as("keyless messages have no shard").isNull();
    assertThat(b.payload).containsExactly(0, 1, 255);
    assertThat(b.contentType).isEqualTo("application/octet-stream");
    assertThat(b.headers).isNull();
    assertThat(b.availableAt).contains(notBefore);
    assertThat(countBusinessRows()).isEqualTo(1);
  }

  @Test
  final void rollbackLeavesNoMessage() throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      business(c, "order-2");
      outbox.write(c, message("order-2"));
      outbox.writeAll(c, List.of(message("order-2"), message("order-3")));
      c.rollback();
    }
    assertThat(rows()).isEmpty();
    assertThat(countBusinessRows()).isZero();
  }

  @Test
  final void aBatchIsWrittenInOrderAndAtomically() throws Exception {
    List<OutboxMessage> batch = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      batch.add(message("key-" + (i % 7)));
    }
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      assertThat(outbox.writeAll(c, batch))
          .containsExactlyElementsOf(batch.stream().map(OutboxMessage::id).toList());
      c.commit();
    }
    assertThat(rows().stream().map(r -> r.id).toList())
        .as("seq order is list order")
        .containsExactlyElementsOf(batch.stream().map(m -> m.id().value()).toList());

    // one oversized message fails the whole batch before anything is inserted
    List<OutboxMessage> bad = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      bad.add(message("k"));
    }
    bad.add(
        OutboxMessage.builder()
            .topic("orders")
            .eventType("Huge")
            .payload(Payload.bytes(new byte[OutboxConfig.DEFAULT_MAX_MESSAGE_BYTES + 1]))
            .build());
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      assertThatThrownBy(() -> outbox.writeAll(c, bad)).isInstanceOf(InvalidMessageException.class);
      assertThat(count(c)).as("nothing of the failed batch reached the table").isEqualTo(300);
      c.commit();
    }
    assertThat(rows()).hasSize(300);
  }

  @Test
  final void concurrentWritersLoseNothingAndInventNothing() throws Exception {
    Set<UUID> committed = ConcurrentHashMap.newKeySet();
    int threads = 8;
    int txPerThread = 60;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      futures.add(
          pool.submit(
              () -> {
                for (int i = 0; i < txPerThread; i++) {
                  try (Connection c = db.dataSource().getConnection()) {
                    c.setAutoCommit(false);
                    List<OutboxMessage> ms = new ArrayList<>();
                    int n = 1 + ThreadLocalRandom.current().nextInt(3);
                    for (int k = 0; k < n; k++) {
                      ms.add(message("t" + thread + "-" + (i % 5)));
                    }
                    if (n == 1) {
                      outbox.write(c, ms.get(0));
                    } else {
                      outbox.writeAll(c, ms);
                    }
                    if (i % 4 == 3) {
                      c.rollback();
                    } else {
                      c.commit();
                      ms.forEach(m -> committed.add(m.id().value()));
                    }
                  }
                }
                return null;
              }));
    }
    for (Future<?> f : futures) {
      f.get(120, TimeUnit.SECONDS);
    }
    pool.shutdown();
    List<UUID> inTable = rows().stream().map(r -> r.id).toList();
    assertThat(new HashSet<>(inTable)).hasSize(inTable.size());
    assertThat(inTable).containsExactlyInAnyOrderElementsOf(committed);
  }

  @Test
  final void migrationIsIdempotent() throws Exception {
    SchemaMigrator migrator = SchemaMigrator.builder().dataSource(db.dataSource()).build();
    MigrationResult again = migrator.migrate();
    assertThat(again.applied()).isEmpty();
    int latest = SchemaComponent.outbox().latestVersion();
    assertThat(again.fromVersion()).isEqualTo(latest);
    assertThat(again.toVersion()).isEqualTo(latest);
    assertThat(migrator.currentVersion()).isEqualTo(latest);
    assertThat(historyRows(db, "waybill_schema_history")).isEqualTo(latest);
  }

  @Test
  final void concurrentMigrationsApplyEachVersionOnce() throws Exception {
    for (int round = 0; round < 3; round++) {
      try (TestDatabase fresh = newDatabase()) {
        assertThat(SchemaMigrator.builder().dataSource(fresh.dataSource()).build().currentVersion())
            .isZero();
        int n = 6;
        warmUp(fresh, 2 * n + 2); // connections ready, so the instances really start together
        CyclicBarrier start = new CyclicBarrier(n);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        List<Future<MigrationResult>> results = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          results.add(
              pool.submit(
                  () -> {
                    SchemaMigrator m =
                        SchemaMigrator.builder().dataSource(fresh.dataSource()).build();
                    start.await();
                    return m.migrate();
                  }));
        }
        int applied = 0;
        for (Future<MigrationResult> f : results) {
          MigrationResult r = f.get(120, TimeUnit.SECONDS);
          assertThat(r.toVersion()).isEqualTo(SchemaComponent.outbox().latestVersion());
          applied += r.applied().size();
        }
        pool.shutdown();
        int latest = SchemaComponent.outbox().latestVersion();
        assertThat(applied).as("exactly one instance applied each version").isEqualTo(latest);
        assertThat(historyRows(fresh, "waybill_schema_history")).isEqualTo(latest);
        try (Connection c = fresh.connect()) {
          c.setAutoCommit(false);
          outbox.write(c, message("after-concurrent-migration"));
          c.commit();
        }
      }
    }
  }

  static void warmUp(TestDatabase database, int connections) throws SQLException {
    List<Connection> open = new ArrayList<>();
    try {
      for (int i = 0; i < connections; i++) {
        open.add(database.dataSource().getConnection());
      }
    } finally {
      for (Connection c : open) {
        c.close();
      }
    }
  }

  @Test
  final void refusesAConnectionInAutoCommitMode() throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(true);
      assertThatThrownBy(() -> outbox.write(c, message("k")))
          .isInstanceOf(NotInTransactionException.class)
          .hasMessage(
              "outbox write refused: the connection is in auto-commit mode, so the message would"
                  + " commit on its own, outside your business change. Call"
                  + " connection.setAutoCommit(false) (or use your framework's transaction),"
                  + " write the business rows and the message, then commit.");
    }
    assertThat(rows()).isEmpty();
  }

  @Test
  final void writesThroughAJdbiHandleOnlyInsideATransaction() throws Exception {
    Jdbi jdbi = Jdbi.create(db.dataSource());
    OutboxMessage m = message("jdbi-1");
    jdbi.useTransaction(h -> outbox.write(h, m));
    OutboxMessage rolledBack = message("jdbi-2");
    assertThatThrownBy(
            () ->
                jdbi.useTransaction(
                    h -> {
                      outbox.writeAll(h, List.of(rolledBack));
                      throw new IllegalStateException("business rule failed");
                    }))
        .hasMessage("business rule failed");
    try (Handle h = jdbi.open()) {
      assertThatThrownBy(() -> outbox.write(h, message("jdbi-3")))
          .isInstanceOf(NotInTransactionException.class)
          .hasMessageStartingWith("outbox write refused: the Jdbi handle is not in a transaction");
    }
    assertThat(rows().stream().map(r -> r.id).toList()).containsExactly(m.id().value());
  }

  @Test
  final void neverCommitsRollsBackOrClosesTheCallersConnection() throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      outbox.write(c, message("k"));
      assertThat(c.isClosed()).isFalse();
      assertThat(c.getAutoCommit()).isFalse();
      try (Connection other = db.connect()) {
        assertThat(count(other)).as("not visible before the caller commits").isZero();
      }
      assertThat(count(c)).as("visible inside the caller's transaction").isEqualTo(1);
      c.commit();
    }
    assertThat(rows()).hasSize(1);
  }

  @Test
  final void rejectsAnOversizedMessageNamingSizeAndSetting() throws Exception {
    Outbox small =
        Outbox.builder().config(OutboxConfig.builder().maxMessageBytes(2048).build()).build();
    OutboxMessage m =
        OutboxMessage.builder()
            .topic("orders")
            .key("k")
            .eventType("Big")
            .payload(Payload.bytes(new byte[2040]))
            .header("h", "1234567")
            .build();
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      assertThatThrownBy(() -> small.write(c, m))
          .isInstanceOf(InvalidMessageException.class)
          .hasMessage(
              "invalid outbox message for topic 'orders' (id "
                  + m.id()
                  + "): it is 2049 bytes (payload 2040 + key + headers), more than"
                  + " outbox.message.max.bytes = 2048. Send a smaller payload (e.g. a reference"
                  + " to where the data is stored) or raise the limit together with the"
                  + " producer's max.request.size and the topic's max.message.bytes.");
      c.rollback();
    }
  }

  @Test
  final void theMinimalPlainSqlInsertFromTheDocsIsAValidMessage() throws Exception {
    String sql = docSnippet("minimal-insert:" + dialect().name());
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      for (String statement : SqlScripts.split(sql)) {
        try (Statement st = c.createStatement()) {
          st.execute(statement);
        }
      }
      c.commit();
    }
    List<Row> rows = rows();
    assertThat(rows).hasSize(1);
    Row r = rows.get(0);
    assertThat(r.id).as("database filled the id").isNotNull();
    assertThat(r.seq).isPositive();
    assertThat(r.topic).isEqualTo("orders");
    assertThat(r.key).isEqualTo("order-17");
    assertThat(r.eventType).isEqualTo("OrderPlaced");
    assertThat(r.contentType).isEqualTo("application/json");
    assertThat(new String(r.payload, StandardCharsets.UTF_8))
        .isEqualTo("{\"orderId\":\"order-17\",\"total\":42.5}");
    assertThat(r.createdAt).isPresent();
    assertThat(r.shard).as("database computed the shard from the key").isBetween(0, 1023);
    assertThat(r.availableAt).isEmpty();
    // the same key always lands in the same shard
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      outbox.write(c, message("order-17"));
      c.commit();
    }
    assertThat(rows().get(1).shard).isEqualTo(r.shard);
  }

  @Test
  final void writesToAConfiguredTableInAConfiguredSchema() throws Exception {
    // unique: on MySQL/MariaDB a schema is a server-wide database
    String schema =
        "waybill_app_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA " + schema);
    }
    try {
      TableNames names = TableNames.defaults().withSchema(schema).withOutbox("orders_outbox");
      SchemaMigrator.builder().dataSource(db.dataSource()).tables(names).build().migrate();
      Outbox custom = Outbox.builder().config(OutboxConfig.builder().tables(names).build()).build();
      try (Connection c = db.connect()) {
        c.setAutoCommit(false);
        custom.write(c, message("k"));
        c.commit();
        try (Statement st = c.createStatement();
            ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + schema + ".orders_outbox")) {
          rs.next();
          assertThat(rs.getInt(1)).isEqualTo(1);
        }
      }
      assertThat(rows()).as("the default table is untouched").isEmpty();
    } finally {
      try (Connection c = db.connect();
          Statement st = c.createStatement()) {
        st.execute(
            dialect() == Dialect.mysql()
                ? "DROP DATABASE " + schema
                : "DROP SCHEMA " + schema + " CASCADE");
      }
    }
  }

  @Test
  final void detectsTheDialectOfTheConnection() throws Exception {
    try (Connection c = db.connect()) {
      assertThat(Dialect.of(c)).isSameAs(dialect());
    }
  }

  @Test
  final void capturesTraceparentFromTheProviderWhenTheMessageHasNone() throws Exception {
    Outbox traced = Outbox.builder().traceContext(() -> Optional.of(TRACEPARENT)).build();
    Outbox broken = Outbox.builder().traceContext(() -> Optional.of("not-a-trace")).build();
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      traced.write(c, message("a"));
      broken.write(c, message("b"));
      c.commit();
    }
    List<Row> rows = rows();
    assertThat(rows.get(0).traceparent).isEqualTo(TRACEPARENT);
    assertThat(rows.get(1).traceparent).as("an invalid provider value is dropped").isNull();
  }

  @Test
  final void capturesTheCallersTraceContextWithoutAProvider() throws Exception {
    Outbox outbox = Outbox.builder().build();
    SdkTracerProvider tracing =
        SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(InMemorySpanExporter.create()))
            .build();
    Span writer = tracing.get("test").spanBuilder("place order").startSpan();
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      try (Scope s = writer.makeCurrent()) {
        outbox.write(c, message("otel"));
      }
      MDC.put("traceId", "4bf92f3577b34da6a3ce929d0e0e4736");
      MDC.put("spanId", "00f067aa0ba902b7");
      try {
        outbox.write(c, message("micrometer"));
      } finally {
        MDC.remove("traceId");
        MDC.remove("spanId");
      }
      outbox.write(c, message("none"));
      c.commit();
    } finally {
      writer.end();
      tracing.close();
    }
    List<Row> rows = rows();
    assertThat(rows.get(0).traceparent)
        .as("the current OpenTelemetry span")
        .isEqualTo(
            "00-"
                + writer.getSpanContext().getTraceId()
                + "-"
                + writer.getSpanContext().getSpanId()
                + "-"
                + writer.getSpanContext().getTraceFlags().asHex());
    assertThat(rows.get(1).traceparent)
        .as("Micrometer Tracing's MDC ids")
        .isEqualTo("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    assertThat(rows.get(2).traceparent).as("no trace context").isNull();
  }

  // ---- helpers ----

  static OutboxMessage message(String key) {
    return OutboxMessage.builder()
        .topic("orders")
        .key(key)
        .eventType("OrderPlaced")
        .jsonPayload("{\"key\":\"" + key + "\"}")
        .build();
  }

  void business(Connection c, String orderId) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS shop_order (id VARCHAR(64) PRIMARY KEY)");
    }
    // MySQL/H2 DDL commits: create the table before the business transaction's first write
    try (PreparedStatement st = c.prepareStatement("INSERT INTO shop_order (id) VALUES (?)")) {
      st.setString(1, orderId);
      st.executeUpdate();
    }
  }

  int countBusinessRows() throws SQLException {
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM shop_order")) {
      rs.next();
      return rs.getInt(1);
    } catch (SQLException e) {
      return 0; // table never created: no business row
    }
  }

  static int count(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM waybill_outbox")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  static int historyRows(TestDatabase database, String table) throws SQLException {
    try (Connection c = database.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + table + " WHERE version > 0")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  record Row(
      long seq,
      UUID id,
      String topic,
      String key,
      String eventType,
      String contentType,
      byte[] payload,
      String headers,
      String traceparent,
      Optional<Instant> createdAt,
      Optional<Instant> availableAt,
      Integer shard) {}

  List<Row> rows() throws SQLException {
    Dialect d = dialect();
    List<Row> out = new ArrayList<>();
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT seq, id, topic, msg_key, event_type, content_type, payload, headers,"
                    + " traceparent, created_at, available_at, shard FROM waybill_outbox"
                    + " ORDER BY seq")) {
      while (rs.next()) {
        Integer shard = rs.getInt("shard");
        if (rs.wasNull()) {
          shard = null;
        }
        out.add(
            new Row(
                rs.getLong("seq"),
                d.getUuid(rs, "id"),
                rs.getString("topic"),
                rs.getString("msg_key"),
                rs.getString("event_type"),
                rs.getString("content_type"),
                rs.getBytes("payload"),
                rs.getString("headers"),
                rs.getString("traceparent"),
                d.getInstant(rs, "created_at"),
                d.getInstant(rs, "available_at"),
                shard));
      }
    }
    return out;
  }

  static String docSnippet(String marker) throws IOException {
    Path doc = Path.of("..", "docs", "outbox-table.md");
    String text = Files.readString(doc);
    Matcher m =
        Pattern.compile(
                "<!-- " + Pattern.quote(marker) + " -->\\s*```sql\\n(.*?)```", Pattern.DOTALL)
            .matcher(text);
    assertThat(m.find()).as("snippet %s in %s", marker, doc).isTrue();
    return m.group(1);
  }
}

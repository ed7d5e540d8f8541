package dev.waybill.inbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.waybill.inbox.internal.InboxStore;
import dev.waybill.inbox.internal.InboxStore.ParkedKey;
import dev.waybill.outbox.NotInTransactionException;
import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.schema.MigrationResult;
import dev.waybill.outbox.schema.SchemaComponent;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.outbox.schema.TableNames;
import dev.waybill.testkit.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The inbox table's contract and the transport-neutral "run this once" API, run against every
 * supported database: each database's test class subclasses it in a few lines. Final methods, so
 * every database keeps the same promises.
 */
abstract class InboxContract {
  TestDatabase db;
  Inbox inbox;

  abstract TestDatabase newDatabase();

  abstract Dialect dialect();

  @BeforeEach
  void setUp() throws SQLException {
    db = newDatabase();
    MigrationResult r =
        SchemaMigrator.builder()
            .dataSource(db.dataSource())
            .component(SchemaComponent.inbox())
            .build()
            .migrate();
    assertThat(r.applied()).containsExactly(1);
    inbox = Inbox.create();
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE applied (message_id VARCHAR(255) NOT NULL, note VARCHAR(64))");
    }
  }

  @AfterEach
  void tearDown() {
    if (db != null) {
      db.close();
    }
  }

  @Test
  final void migratingTwiceChangesNothingAndTheDialectIsDetected() throws SQLException {
    SchemaMigrator m =
        SchemaMigrator.builder()
            .dataSource(db.dataSource())
            .component(SchemaComponent.inbox())
            .build();
    assertThat(m.migrate().applied()).isEmpty();
    assertThat(m.currentVersion()).isEqualTo(1);
    try (Connection c = db.connect()) {
      assertThat(Dialect.of(c)).isEqualTo(dialect());
    }
  }

  @Test
  final void runOnceRunsTheWorkOnceAndSkipsDuplicates() throws Exception {
    assertThat(inbox.runOnce(db.dataSource(), "webhook", "evt-1", c -> apply(c, "evt-1"))).isTrue();
    assertThat(inbox.runOnce(db.dataSource(), "webhook", "evt-1", c -> apply(c, "evt-1")))
        .isFalse();
    assertThat(inbox.runOnce(db.dataSource(), "other-consumer", "evt-1", c -> apply(c, "evt-1")))
        .as("ids are per consumer")
        .isTrue();
    assertThat(appliedCount("evt-1")).isEqualTo(2);
    assertThat(inbox.isHandled(db.dataSource(), "webhook", "evt-1")).isTrue();
    assertThat(inbox.isHandled(db.dataSource(), "webhook", "evt-2")).isFalse();
  }

  @Test
  final void aRolledBackRunRecordsNoIdSoTheNextRunRuns() throws Exception {
    assertThatThrownBy(
            () ->
                inbox.runOnce(
                    db.dataSource(),
                    "webhook",
                    "evt-9",
                    c -> {
                      apply(c, "evt-9");
                      throw new IllegalStateException("boom");
                    }))
        .isInstanceOf(IllegalStateException.class);
    assertThat(inbox.isHandled(db.dataSource(), "webhook", "evt-9")).isFalse();
    assertThat(appliedCount("evt-9")).isZero();
    assertThat(inbox.runOnce(db.dataSource(), "webhook", "evt-9", c -> apply(c, "evt-9"))).isTrue();
    assertThat(appliedCount("evt-9")).isEqualTo(1);
  }

  @Test
  final void theCallersTransactionDecides() throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      assertThat(inbox.runOnce(c, "listener", "m-1", x -> apply(x, "m-1"))).isTrue();
      c.rollback();
      assertThat(inbox.runOnce(c, "listener", "m-1", x -> apply(x, "m-1"))).isTrue();
      c.commit();
      assertThat(inbox.runOnce(c, "listener", "m-1", x -> apply(x, "m-1"))).isFalse();
      c.commit();
    }
    assertThat(appliedCount("m-1")).isEqualTo(1);
  }

  @Test
  final void autoCommitConnectionsAndBadIdsAreRefused() throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(true);
      assertThatThrownBy(() -> inbox.runOnce(c, "listener", "m-1", x -> apply(x, "m-1")))
          .isInstanceOf(NotInTransactionException.class)
          .hasMessageContaining("listener")
          .hasMessageContaining("setAutoCommit(false)");
    }
    assertThatThrownBy(() -> inbox.runOnce(db.dataSource(), "listener", " ", x -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("message id is blank");
    assertThatThrownBy(() -> inbox.runOnce(db.dataSource(), "listener", "x".repeat(256), x -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("256 characters");
    assertThat(appliedCount("m-1")).isZero();
  }

  @Test
  final void runOnceWorksOnAJdbiHandleInATransaction() throws Exception {
    Jdbi jdbi = Jdbi.create(db.dataSource());
    for (int i = 0; i < 2; i++) {
      jdbi.useTransaction(
          h ->
              inbox.runOnce(
                  h,
                  "jdbi-consumer",
                  "j-1",
                  x -> x.execute("INSERT INTO applied (message_id) VALUES (?)", "j-1")));
    }
    assertThatThrownBy(() -> jdbi.useHandle(h -> inbox.runOnce(h, "jdbi-consumer", "j-2", x -> {})))
        .isInstanceOf(NotInTransactionException.class);
    assertThat(appliedCount("j-1")).isEqualTo(1);
  }

  @Test
  final void concurrentRunsOfOneIdRunTheWorkOnce() throws Exception {
    int threads = 4;
    CyclicBarrier barrier = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        results.add(
            pool.submit(
                () ->
                    inbox.runOnce(
                        db.dataSource(),
                        "race",
                        "same-id",
                        c -> {
                          apply(c, "same-id");
                          await(barrier);
                        })));
      }
      int ran = 0;
      for (Future<Boolean> f : results) {
        try {
          if (f.get(60, TimeUnit.SECONDS)) {
            ran++;
          }
        } catch (java.util.concurrent.ExecutionException e) {
          // a loser may be told it deadlocked or timed out instead of waiting: it ran nothing
          assertThat(e.getCause()).isInstanceOf(InboxException.class);
        }
      }
      assertThat(ran).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
    assertThat(appliedCount("same-id")).isEqualTo(1);
  }

  @Test
  final void recordingManyIdsReportsOnlyTheNewOnes() throws Exception {
    InboxStore store = new InboxStore(TableNames.defaults(), null);
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      assertThat(store.recordAll(c, "g", List.of("a", "b"))).containsExactly("a", "b");
      c.commit();
      assertThat(store.recordAll(c, "g", List.of("b", "c", "a", "d")))
          .containsExactlyInAnyOrder("c", "d");
      c.commit();
      assertThat(store.recordAll(c, "other", List.of("a"))).containsExactly("a");
      c.rollback();
      assertThat(store.insertIfAbsent(c, "g", "d")).isFalse();
      assertThat(store.insertIfAbsent(c, "g", "e")).isTrue();
      c.commit();
    }
    assertThat(rows("g")).isEqualTo(5);
    assertThat(rows("other")).isZero();
  }

  @Test
  final void housekeepingDeletesOnlyExpiredRowsOfTheConsumerInBoundedStatements() throws Exception {
    Instant now = Instant.now();
    Instant old = now.minus(Duration.ofDays(8));
    insertRows("g", "old-", 25, old);
    insertRows("g", "new-", 5, now.minus(Duration.ofDays(6)));
    insertRows("h", "old-", 10, old);
    Instant cutoff = now.minus(Duration.ofDays(7));
    InboxStore store = new InboxStore(TableNames.defaults(), null);
    assertThat(store.deleteExpired(db.dataSource(), "g", cutoff, 7, 1))
        .as("one statement deletes at most the batch size")
        .isEqualTo(7);
    assertThat(inbox.deleteHandledBefore(db.dataSource(), "g", cutoff, 7)).isEqualTo(18);
    assertThat(rows("g")).isEqualTo(5);
    assertThat(rows("h")).as("other consumers' ids are theirs to expire").isEqualTo(10);
    assertThat(inbox.isHandled(db.dataSource(), "g", "new-0")).isTrue();
    assertThat(inbox.isHandled(db.dataSource(), "g", "old-0")).isFalse();
  }

  @Test
  final void keysCanBeParkedAndUnparked() throws Exception {
    InboxStore store = new InboxStore(TableNames.defaults(), null);
    ParkedKey p = new ParkedKey("orders", InboxStore.keyHash("k".getBytes()), "k", "id-1");
    store.park(db.dataSource(), "g", p);
    store.park(
        db.dataSource(), "g", new ParkedKey("orders", p.keyHash(), "k", "id-2")); // no effect
    assertThat(store.parked(db.dataSource(), "g")).containsExactly(p);
    assertThat(store.parked(db.dataSource(), "h")).isEmpty();
    assertThat(store.unpark(db.dataSource(), "g", "orders", p.keyHash())).isTrue();
    assertThat(store.unpark(db.dataSource(), "g", "orders", p.keyHash())).isFalse();
    assertThat(store.parked(db.dataSource(), "g")).isEmpty();
  }

  @Test
  final void anotherInboxTableNameIsMigratedAndUsed() throws Exception {
    TableNames names = TableNames.defaults().withInbox("billing_inbox");
    SchemaMigrator.builder()
        .dataSource(db.dataSource())
        .component(SchemaComponent.inbox())
        .tables(names.withHistory("billing_history"))
        .build()
        .migrate();
    Inbox custom = Inbox.builder().tables(names).build();
    assertThat(custom.runOnce(db.dataSource(), "c", "x", c -> apply(c, "x"))).isTrue();
    assertThat(inbox.runOnce(db.dataSource(), "c", "x", c -> apply(c, "x")))
        .as("a different table knows nothing of it")
        .isTrue();
    assertThat(custom.runOnce(db.dataSource(), "c", "x", c -> apply(c, "x"))).isFalse();
    assertThat(Set.of(custom.tables().inbox(), inbox.tables().inbox()))
        .containsExactlyInAnyOrder("billing_inbox", "waybill_inbox");
  }

  static void apply(Connection c, String id) throws SQLException {
    try (PreparedStatement st = c.prepareStatement("INSERT INTO applied (message_id) VALUES (?)")) {
      st.setString(1, id);
      st.executeUpdate();
    }
  }

  private static void await(CyclicBarrier barrier) {
    try {
      barrier.await(2, TimeUnit.SECONDS);
    } catch (Exception e) {
      // the others are blocked on the first one's inbox row: expected
    }
  }

  int appliedCount(String id) throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement st =
            c.prepareStatement("SELECT count(*) FROM applied WHERE message_id = ?")) {
      st.setString(1, id);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  int rows(String group) throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement st =
            c.prepareStatement("SELECT count(*) FROM waybill_inbox WHERE consumer_group = ?")) {
      st.setString(1, group);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  void insertRows(String group, String prefix, int n, Instant handledAt) throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement st =
            c.prepareStatement(
                "INSERT INTO waybill_inbox (consumer_group, message_id, handled_at)"
                    + " VALUES (?, ?, ?)")) {
      for (int i = 0; i < n; i++) {
        st.setString(1, group);
        st.setString(2, prefix + i);
        dialect().setInstant(st, 3, handledAt);
        st.executeUpdate();
      }
    }
  }
}

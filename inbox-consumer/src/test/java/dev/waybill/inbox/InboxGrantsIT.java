package dev.waybill.inbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import dev.waybill.testkit.DatabaseRole;
import dev.waybill.testkit.LogLines;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The inbox consumer runs as a role holding exactly {@code db/waybill/grants/<dialect>/inbox.sql}
 * (quoted by docs/security.md) plus the handler's own table: it deduplicates, parks a key, releases
 * it and expires old ids; without either of the script's statements it refuses to start naming the
 * table.
 */
class InboxGrantsIT {
  static final Duration WAIT = Duration.ofSeconds(30);
  ConsumerFixture fx;
  final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    if (fx != null) {
      fx.consumers.forEach(InboxConsumer::close);
    }
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    if (fx != null) {
      fx.close();
    }
  }

  void open(String dialect) throws Exception {
    TestDatabase db =
        dialect.equals("postgresql") ? TestDatabases.postgres() : TestDatabases.mariadb();
    fx =
        new ConsumerFixture(
            db,
            dialect.equals("postgresql")
                ? "n BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
                : "n BIGINT AUTO_INCREMENT PRIMARY KEY");
  }

  DatabaseRole role() {
    DatabaseRole r = DatabaseRole.create(fx.db, "inbox_consumer");
    open.add(r);
    return r;
  }

  static String script(String dialect) {
    return "db/waybill/grants/" + dialect + "/inbox.sql";
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "mysql"})
  void theInboxConsumerWorksWithExactlyTheDocumentedGrants(String dialect) throws Exception {
    open(dialect);
    DatabaseRole role = role();
    role.grant(script(dialect));
    role.admin(List.of("GRANT INSERT ON applied TO " + grantee(dialect, role))); // the handler's
    Instant old = Instant.now().minus(Duration.ofHours(2));
    String topic = fx.topic(1);
    String group = ConsumerFixture.group();
    try (Connection c = fx.db.connect();
        PreparedStatement st =
            c.prepareStatement(
                "INSERT INTO waybill_inbox (consumer_group, message_id, handled_at)"
                    + " VALUES (?, 'old-1', ?)")) {
      st.setString(1, group);
      dev.waybill.outbox.dialect.Dialect.of(c).setInstant(st, 2, old);
      st.executeUpdate();
    }
    AtomicBoolean broken = new AtomicBoolean(true);
    MessageHandler h =
        (m, tx) -> {
          if (m.messageId().equals("k-1") && broken.get()) {
            throw new IllegalStateException("downstream rejects k-1");
          }
          ConsumerFixture.recording().handle(m, tx);
        };
    fx.send(topic, "k", "k-1", "T", 1);
    fx.send(topic, "j", "j-1", "T", 2);
    fx.send(topic, "j", "j-1", "T", 2); // a duplicate
    fx.send(topic, "k", "k-2", "T", 3);
    fx.flush();
    LogLines logs = LogLines.of("dev.waybill.inbox");
    open.add(logs);
    InboxConsumer c =
        fx.start(
            fx.builder(
                    group,
                    topic,
                    b ->
                        b.ordered(true)
                            .maxAttempts(2)
                            .dedupWindow(Duration.ofHours(1))
                            .housekeeping(Duration.ofSeconds(1), 10))
                .dataSource(role.dataSource())
                .defaultHandler(h));
    await().atMost(WAIT).until(() -> c.parkedKeys().containsKey(topic + "/k"));
    await()
        .atMost(WAIT)
        .until(() -> fx.column("SELECT message_id FROM waybill_inbox").equals(List.of("j-1")));
    assertThat(fx.appliedIds()).containsExactly("j-1");
    assertThat(fx.column("SELECT message_id FROM waybill_inbox_parked")).containsExactly("k-1");
    broken.set(false);
    fx.send(topic, "k", "k-1", "T", 1); // the redrive releases the key
    fx.send(topic, "k", "k-2", "T", 3);
    fx.flush();
    await().atMost(WAIT).until(() -> fx.appliedIds().size() == 3);
    assertThat(fx.appliedIds()).containsExactly("j-1", "k-1", "k-2");
    assertThat(fx.column("SELECT message_id FROM waybill_inbox_parked")).isEmpty();
    assertThat(logs.atLeast(Level.WARN))
        .noneMatch(line -> line.toLowerCase(Locale.ROOT).contains("denied"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "mysql"})
  void withoutEitherOfItsGrantsTheInboxConsumerRefusesToStartNamingTheTable(String dialect)
      throws Exception {
    open(dialect);
    String topic = fx.topic(1);
    for (String table : List.of("waybill_inbox", "waybill_inbox_parked")) {
      DatabaseRole role = role();
      List<String> granted = new ArrayList<>(role.statements(script(dialect)));
      assertThat(granted.removeIf(s -> s.contains(" ON " + table + " "))).isTrue();
      role.admin(granted);
      InboxConsumer c =
          fx.builder(ConsumerFixture.group(), topic, b -> {})
              .dataSource(role.dataSource())
              .defaultHandler(ConsumerFixture.recording())
              .build();
      try {
        assertThatThrownBy(c::start)
            .isInstanceOf(InboxException.class)
            .hasMessageContaining("inbox table " + table + " is not usable")
            .satisfies(e -> assertThat(e.getMessage().toLowerCase(Locale.ROOT)).contains("denied"));
      } finally {
        c.close();
      }
    }
  }

  static String grantee(String dialect, DatabaseRole role) {
    return dialect.equals("postgresql") ? role.name() : "'" + role.name() + "'@'%'";
  }
}

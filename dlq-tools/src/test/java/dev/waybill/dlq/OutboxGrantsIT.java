package dev.waybill.dlq;

import static org.assertj.core.api.Assertions.assertThat;

import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.testkit.DatabaseRole;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code dlq.jar outbox list | retry | discard} as a role holding exactly {@code
 * db/waybill/grants/<dialect>/dlq-outbox.sql} (quoted by docs/security.md); without any one of its
 * statements a command fails with exit code 1 naming the table, and changes nothing.
 */
class OutboxGrantsIT {
  TestDatabase db;
  final List<DatabaseRole> roles = new ArrayList<>();

  @AfterEach
  void tearDown() {
    roles.forEach(DatabaseRole::close);
    if (db != null) {
      db.close();
    }
  }

  void open(String dialect) {
    db = dialect.equals("postgresql") ? TestDatabases.postgres() : TestDatabases.mariadb();
    SchemaMigrator.builder().dataSource(db.dataSource()).build().migrate();
  }

  DatabaseRole role() {
    DatabaseRole r = DatabaseRole.create(db, "dlq_operator");
    roles.add(r);
    return r;
  }

  static String script(String dialect) {
    return "db/waybill/grants/" + dialect + "/dlq-outbox.sql";
  }

  /** A dead letter as the relay writes it (parks its key), with one message waiting behind it. */
  void deadLetter(long seq) throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement st =
            c.prepareStatement(
                "INSERT INTO waybill_outbox_dead_letter (seq, id, topic, msg_key, event_type,"
                    + " content_type, payload, created_at, attempts, error_class, error_message,"
                    + " parks_key, relay_instance) VALUES (?, ?, 't', 'k', 'E', 'application/json',"
                    + " ?, ?, 3, 'org.apache.kafka.common.errors.RecordTooLargeException', 'too"
                    + " large', TRUE, 'r1')")) {
      Dialect d = Dialect.of(c);
      st.setLong(1, seq);
      d.setUuid(st, 2, UUID.randomUUID());
      st.setBytes(3, "{}".getBytes(StandardCharsets.UTF_8));
      d.setInstant(st, 4, Instant.now());
      st.executeUpdate();
    }
  }

  long count(String sql) throws SQLException {
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  DlqToolIT.Run cli(DatabaseRole as, String... args) {
    return OutboxRetryContract.cliAs(as.jdbcUrl(), as.name(), as.password(), args);
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "mysql"})
  void outboxListRetryAndDiscardWorkWithExactlyTheDocumentedGrants(String dialect)
      throws Exception {
    open(dialect);
    DatabaseRole operator = role();
    operator.grant(script(dialect));
    deadLetter(1);
    deadLetter(2);
    DlqToolIT.Run list = cli(operator, "list", "--format", "json");
    assertThat(list.exit()).as(list.err()).isZero();
    assertThat(list.json()).hasSize(2);
    DlqToolIT.Run retry = cli(operator, "retry", "1");
    assertThat(retry.exit()).as(retry.err()).isZero();
    assertThat(count("SELECT COUNT(*) FROM waybill_outbox WHERE seq = 1")).isEqualTo(1);
    DlqToolIT.Run discard = cli(operator, "discard", "2");
    assertThat(discard.exit()).as(discard.err()).isZero();
    assertThat(count("SELECT COUNT(*) FROM waybill_outbox_dead_letter")).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "mysql"})
  void withoutAnyOneOfItsGrantsACommandFailsNamingTheTableAndChangesNothing(String dialect)
      throws Exception {
    open(dialect);
    deadLetter(1);
    DatabaseRole probe = role();
    List<String> all = probe.statements(script(dialect));
    for (int left = 0; left < all.size(); left++) {
      DatabaseRole operator = role();
      List<String> granted = new ArrayList<>(operator.statements(script(dialect)));
      String missing = granted.remove(left);
      operator.admin(granted);
      String table = missing.replaceAll("(?s).* ON (\\w+) TO .*", "$1");
      int failed = 0;
      for (String[] command : new String[][] {{"list"}, {"retry", "1"}, {"discard", "1"}}) {
        DlqToolIT.Run run = cli(operator, command);
        if (run.exit() == 0) { // this command needs no such grant: put the dead letter back
          try (Connection c = db.connect();
              Statement st = c.createStatement()) {
            st.execute("DELETE FROM waybill_outbox");
            st.execute("DELETE FROM waybill_outbox_dead_letter");
          }
          deadLetter(1);
          continue;
        }
        failed++;
        assertThat(run.exit()).as("%s without %s: %s", command[0], missing, run.err()).isEqualTo(1);
        assertThat(run.err().toLowerCase(Locale.ROOT))
            .as("%s without %s", command[0], missing)
            .contains("denied")
            .contains(table);
        assertThat(count("SELECT COUNT(*) FROM waybill_outbox_dead_letter")).isEqualTo(1);
        assertThat(count("SELECT COUNT(*) FROM waybill_outbox")).isZero();
      }
      assertThat(failed).as("some command fails without: %s", missing).isPositive();
    }
  }
}

package dev.waybill.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.waybill.outbox.schema.MigrationException;
import dev.waybill.outbox.schema.SchemaComponent;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.testkit.DatabaseRole;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code migrate} and the application's writer run as roles holding exactly the statements of
 * {@code db/waybill/grants/<dialect>/migrate.sql} and {@code writer.sql} (quoted by
 * docs/security.md), and fail naming what is missing without them.
 */
class SchemaGrantsIT {
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
  }

  DatabaseRole role(String placeholder) {
    DatabaseRole r = DatabaseRole.create(db, placeholder);
    roles.add(r);
    return r;
  }

  SchemaMigrator migrator(DatabaseRole as, SchemaComponent component) {
    return SchemaMigrator.builder().dataSource(as.dataSource()).component(component).build();
  }

  OutboxMessage message() {
    return OutboxMessage.builder().topic("t").key("k").eventType("E").jsonPayload("{}").build();
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "mysql"})
  void migrateAndTheWriterWorkWithExactlyTheDocumentedGrants(String dialect) throws Exception {
    open(dialect);
    DatabaseRole admin = role("schema_admin");
    admin.grant("db/waybill/grants/" + dialect + "/migrate.sql");
    assertThat(migrator(admin, SchemaComponent.outbox()).migrate().toVersion())
        .isEqualTo(SchemaComponent.outbox().latestVersion());
    assertThat(migrator(admin, SchemaComponent.inbox()).migrate().toVersion())
        .isEqualTo(SchemaComponent.inbox().latestVersion());
    DatabaseRole writer = role("app_writer");
    writer.grant("db/waybill/grants/" + dialect + "/writer.sql");
    try (Connection c = writer.connect()) {
      c.setAutoCommit(false);
      Outbox.builder().build().write(c, message());
      c.commit();
    }
    assertThat(outboxRows()).isEqualTo(1);
    if (dialect.equals("postgresql")) { // delete mode: the statement writer.sql names for it
      DatabaseRole deleting = role("app_writer");
      deleting.grant(WRITER_PG);
      deleting.admin(List.of(deleteModeGrant(deleting)));
      try (Connection c = deleting.connect()) {
        c.setAutoCommit(false);
        Outbox.builder()
            .config(OutboxConfig.builder().deleteAfterInsert(true).build())
            .build()
            .write(c, message());
        c.commit();
      }
      assertThat(outboxRows()).as("the row deleted in its own transaction").isEqualTo(1);
    }
  }

  /** The messages of an exception and its causes. */
  static String messages(Throwable e) {
    StringBuilder out = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      out.append(t.getMessage()).append('\n');
    }
    return out.toString();
  }

  static final String WRITER_PG = "db/waybill/grants/postgresql/writer.sql";

  /** The commented statement of writer.sql for {@code outbox.write.delete=true}, for a role. */
  static String deleteModeGrant(DatabaseRole role) throws Exception {
    try (var in = Thread.currentThread().getContextClassLoader().getResourceAsStream(WRITER_PG)) {
      String text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      return text.lines()
          .filter(l -> l.startsWith("-- GRANT"))
          .map(l -> l.substring(3).replace(";", "").replace("app_writer", role.name()))
          .findFirst()
          .orElseThrow();
    }
  }

  long outboxRows() throws Exception {
    try (Connection c = db.connect();
        var st = c.createStatement();
        var rs = st.executeQuery("SELECT COUNT(*) FROM waybill_outbox")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "mysql"})
  void withoutTheirGrantsMigrateAndTheWriterFailNamingTheObject(String dialect) throws Exception {
    open(dialect);
    DatabaseRole bare = role("schema_admin");
    // PostgreSQL: permission denied for schema public; MariaDB: access denied to the database
    String where = dialect.equals("postgresql") ? "schema public" : db.databaseName();
    assertThatThrownBy(() -> migrator(bare, SchemaComponent.outbox()).migrate())
        .isInstanceOf(MigrationException.class)
        .satisfies(e -> assertThat(messages(e)).containsIgnoringCase("denied").contains(where));
    SchemaMigrator.builder().dataSource(db.dataSource()).build().migrate();
    DatabaseRole writer = role("app_writer");
    writer.admin( // its own business table, but not the outbox
        List.of(
            "CREATE TABLE orders (id INT)",
            "GRANT INSERT ON orders TO "
                + (dialect.equals("postgresql") ? writer.name() : "'" + writer.name() + "'@'%'")));
    try (Connection c = writer.connect()) {
      c.setAutoCommit(false);
      assertThatThrownBy(() -> Outbox.builder().build().write(c, message()))
          .isInstanceOf(OutboxWriteException.class)
          .hasMessageContaining("denied")
          .hasMessageContaining("waybill_outbox");
    }
    if (dialect.equals("postgresql")) { // message mode, once EXECUTE is revoked from PUBLIC
      role("app_writer").grant("db/waybill/grants/postgresql/writer-message.sql");
      Outbox emitting =
          Outbox.builder()
              .config(OutboxConfig.builder().writeMode(OutboxConfig.WriteMode.MESSAGE).build())
              .build();
      try (Connection c = writer.connect()) {
        c.setAutoCommit(false);
        assertThatThrownBy(() -> emitting.write(c, message()))
            .isInstanceOf(OutboxWriteException.class)
            .hasMessageContaining("permission denied for function pg_logical_emit_message");
      }
    }
  }
}

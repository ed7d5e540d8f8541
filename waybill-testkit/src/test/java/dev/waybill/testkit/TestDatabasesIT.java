package dev.waybill.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class TestDatabasesIT {

  @AfterAll
  static void printSources() {
    System.out.println("TestDatabases: " + TestDatabases.describe());
  }

  // --- PostgreSQL ---

  @Test
  void postgresGivesAnEmptyDatabaseThatAcceptsATableAndRows() throws SQLException {
    try (TestDatabase db = TestDatabases.postgres()) {
      assertThat(db.kind()).isEqualTo(TestDatabase.Kind.POSTGRES);
      assertThat(db.databaseName()).matches("waybill_t_[0-9a-f]{16}");
      assertThat(queryString(db.dataSource(), "SELECT current_database()"))
          .isEqualTo(db.databaseName());
      assertEmptyThenStoresRows(db);
    }
  }

  @Test
  void postgresGivesADifferentDatabaseOnEachCall() throws SQLException {
    assertDifferentDatabases(TestDatabases::postgres);
  }

  @Test
  void postgresCloseDropsTheDatabaseEvenWithSessionsOpen() throws SQLException {
    try (TestDatabase other = TestDatabases.postgres()) {
      TestDatabase db = TestDatabases.postgres();
      String name = db.databaseName();
      Connection leftOpen = db.connect();
      try (Connection pooled = db.dataSource().getConnection()) {
        assertThat(pooled.isValid(1)).isTrue();
      }
      assertThat(postgresDatabaseExists(other, name)).isTrue();

      db.close();

      assertThat(postgresDatabaseExists(other, name)).isFalse();
      assertThatThrownBy(db::dataSource).isInstanceOf(IllegalStateException.class);
      leftOpen.close();
      db.close(); // closing twice does nothing
    }
  }

  @Test
  void embeddedPostgresIsReadyForLogicalDecoding() throws SQLException {
    try (TestDatabase db = TestDatabases.postgres()) {
      Assumptions.assumeTrue(
          TestDatabases.describe().contains("embedded PostgreSQL"),
          "the external PostgreSQL server is configured as its operators chose");
      assertThat(queryString(db.dataSource(), "SHOW wal_level")).isEqualTo("logical");
      assertThat(queryString(db.dataSource(), "SHOW synchronous_commit")).isEqualTo("on");
    }
  }

  // --- MariaDB (skipped when there is no server) ---

  @Test
  void mariadbGivesAnEmptyDatabaseThatAcceptsATableAndRows() throws SQLException {
    try (TestDatabase db = TestDatabases.mariadb()) {
      assertThat(TestDatabases.mariadbAvailable()).isTrue();
      assertThat(db.kind()).isEqualTo(TestDatabase.Kind.MARIADB);
      assertThat(db.databaseName()).matches("waybill_t_[0-9a-f]{16}");
      assertThat(queryString(db.dataSource(), "SELECT DATABASE()")).isEqualTo(db.databaseName());
      assertEmptyThenStoresRows(db);
    }
  }

  @Test
  void mariadbGivesADifferentDatabaseOnEachCall() throws SQLException {
    assertDifferentDatabases(TestDatabases::mariadb);
  }

  @Test
  void mariadbCloseDropsTheDatabase() throws SQLException {
    TestDatabase db = TestDatabases.mariadb();
    String name = db.databaseName();
    try (Connection pooled = db.dataSource().getConnection()) {
      assertThat(pooled.isValid(1)).isTrue();
    }
    assertThat(mariadbDatabaseExists(db, name)).isTrue();

    db.close();

    assertThat(mariadbDatabaseExists(db, name)).isFalse();
  }

  // --- H2 ---

  @Test
  void h2GivesAnEmptyDatabaseInPostgresModeThatAcceptsATableAndRows() throws SQLException {
    try (TestDatabase db = TestDatabases.h2()) {
      assertThat(db.kind()).isEqualTo(TestDatabase.Kind.H2);
      assertThat(db.jdbcUrl())
          .startsWith("jdbc:h2:mem:" + db.databaseName() + ";")
          .contains("MODE=PostgreSQL", "DATABASE_TO_LOWER=TRUE", "DB_CLOSE_DELAY=-1");
      assertThat(db.user()).isEqualTo("sa");
      assertEmptyThenStoresRows(db);
    }
  }

  @Test
  void h2GivesADifferentDatabaseOnEachCall() throws SQLException {
    assertDifferentDatabases(TestDatabases::h2);
  }

  @Test
  void h2CloseShutsTheDatabaseDown() throws SQLException {
    TestDatabase db = TestDatabases.h2();
    try (Connection connection = db.connect();
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE TABLE kept (id INT)");
    }
    String existing = "jdbc:h2:mem:" + db.databaseName() + ";IFEXISTS=TRUE";
    DriverManager.getConnection(existing, "sa", "").close();

    db.close();

    assertThatThrownBy(() -> DriverManager.getConnection(existing, "sa", "").close())
        .isInstanceOf(SQLException.class);
  }

  @Test
  void describeNamesEveryEngine() {
    assertThat(TestDatabases.describe()).contains("postgres: ", "mariadb: ", "h2: in-memory");
  }

  // --- helpers ---

  private static void assertEmptyThenStoresRows(TestDatabase db) throws SQLException {
    assertThat(tableCount(db)).isZero();
    DataSource dataSource = db.dataSource();
    assertThat(db.dataSource()).isSameAs(dataSource);
    try (Connection connection = dataSource.getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE TABLE parcel (id INT PRIMARY KEY, label VARCHAR(40) NOT NULL)");
      statement.execute("INSERT INTO parcel (id, label) VALUES (1, 'one'), (2, 'two'), (3, 'x')");
    }
    try (Connection connection = db.connect();
        Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT id, label FROM parcel ORDER BY id")) {
      assertThat(rows.next()).isTrue();
      assertThat(rows.getInt(1)).isEqualTo(1);
      assertThat(rows.getString(2)).isEqualTo("one");
      assertThat(rows.next()).isTrue();
      assertThat(rows.next()).isTrue();
      assertThat(rows.getString(2)).isEqualTo("x");
      assertThat(rows.next()).isFalse();
    }
    assertThat(tableCount(db)).isEqualTo(1);
  }

  private static void assertDifferentDatabases(Supplier<TestDatabase> databases)
      throws SQLException {
    try (TestDatabase first = databases.get();
        TestDatabase second = databases.get()) {
      assertThat(first.databaseName()).isNotEqualTo(second.databaseName());
      assertThat(first.jdbcUrl()).isNotEqualTo(second.jdbcUrl());
      try (Connection connection = first.connect();
          Statement statement = connection.createStatement()) {
        statement.execute("CREATE TABLE only_in_first (id INT)");
      }
      assertThat(tableCount(first)).isEqualTo(1);
      assertThat(tableCount(second)).isZero();
    }
  }

  private static int tableCount(TestDatabase db) throws SQLException {
    String schema = db.kind() == TestDatabase.Kind.MARIADB ? "DATABASE()" : "'public'";
    try (Connection connection = db.connect();
        Statement statement = connection.createStatement();
        ResultSet count =
            statement.executeQuery(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = " + schema)) {
      count.next();
      return count.getInt(1);
    }
  }

  private static boolean postgresDatabaseExists(TestDatabase sameServer, String name)
      throws SQLException {
    String admin = JdbcUrls.withDatabase(sameServer.jdbcUrl(), "postgres");
    return exists(admin, sameServer, "SELECT COUNT(*) FROM pg_database WHERE datname = ?", name);
  }

  private static boolean mariadbDatabaseExists(TestDatabase sameServer, String name)
      throws SQLException {
    String admin = JdbcUrls.withDatabase(sameServer.jdbcUrl(), "");
    return exists(
        admin,
        sameServer,
        "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?",
        name);
  }

  private static boolean exists(String adminUrl, TestDatabase credentials, String sql, String name)
      throws SQLException {
    try (Connection connection =
            DriverManager.getConnection(adminUrl, credentials.user(), credentials.password());
        PreparedStatement statement = connection.prepareStatement(sql)) {
      statement.setString(1, name);
      try (ResultSet count = statement.executeQuery()) {
        count.next();
        return count.getInt(1) == 1;
      }
    }
  }

  private static String queryString(DataSource dataSource, String sql) throws SQLException {
    try (Connection connection = dataSource.getConnection();
        Statement statement = connection.createStatement();
        ResultSet result = statement.executeQuery(sql)) {
      result.next();
      return result.getString(1);
    }
  }
}

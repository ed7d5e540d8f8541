package dev.waybill.outbox.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.waybill.outbox.WaybillException;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

class TransactionsTest {

  @Test
  void commitsOnReturnAndRollsBackOnException() {
    try (TestDatabase db = TestDatabases.h2();
        HikariDataSource ds =
            DataSources.create(DatabaseSettings.of(db.jdbcUrl(), db.user(), db.password()), "t")) {
      Transactions.useTransaction(
          ds, c -> c.createStatement().execute("CREATE TABLE t (x INT PRIMARY KEY)"));
      Transactions.useTransaction(
          ds, c -> c.createStatement().executeUpdate("INSERT INTO t VALUES (1)"));
      assertThatThrownBy(
              () ->
                  Transactions.useTransaction(
                      ds,
                      c -> {
                        c.createStatement().executeUpdate("INSERT INTO t VALUES (2)");
                        throw new IllegalStateException("boom");
                      }))
          .hasMessage("boom");
      assertThatThrownBy(
              () ->
                  Transactions.useTransaction(
                      ds, c -> c.createStatement().executeUpdate("INSERT INTO t VALUES (1)")))
          .isInstanceOf(WaybillException.class)
          .hasMessageStartingWith("database transaction failed: ");
      int count =
          Transactions.inTransaction(
              ds,
              c -> {
                try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM t")) {
                  rs.next();
                  return rs.getInt(1);
                }
              });
      assertThat(count).isEqualTo(1);
    }
  }

  @Test
  void poolCreationErrorsNameTheUrlWithoutCredentials() {
    assertThatThrownBy(
            () ->
                DataSources.create(
                    DatabaseSettings.of("jdbc:nosuchdb://h/x?password=secret", "u", "p"), "p1"))
        .isInstanceOf(WaybillException.class)
        .hasMessageStartingWith(
            "cannot create connection pool 'p1' for jdbc:nosuchdb://h/x?password=***")
        .hasMessageNotContaining("secret");
  }
}

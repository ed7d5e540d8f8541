package dev.waybill.outbox.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Test;

/** How a failed login is explained; the real drivers' failures are in the tools' IT suites. */
class DatabaseConnectionExceptionTest {
  private static final DatabaseSettings SETTINGS =
      DatabaseSettings.of("jdbc:postgresql://db:5432/app?password=Url-Secret", "relay", "S3cret!");

  @Test
  void readsTheDriversReasonBehindAPoolsTimeout() {
    SQLException driver =
        new SQLException("FATAL: password authentication failed for user \"relay\"", "28P01");
    SQLException pool =
        new SQLTransientConnectionException(
            "pool - Connection is not available, request timed out after 10001ms", "28P01", driver);
    DatabaseConnectionException e = DatabaseConnectionException.find(pool, SETTINGS).orElseThrow();
    assertThat(e.reason()).isEqualTo(DatabaseConnectionException.Reason.AUTHENTICATION);
    assertThat(e.getMessage())
        .contains("password authentication failed for user \"relay\"")
        .contains("db.user and db.password")
        .doesNotContain("Connection is not available")
        .doesNotContain("Url-Secret");
    assertThat(e.getCause()).isSameAs(pool);
  }

  @Test
  void neverShowsThePasswordEvenWhenTheDriverRepeatsIt() {
    SQLException driver = new SQLException("login S3cret! rejected for user relay", "28000");
    assertThat(DatabaseConnectionException.explain(driver, SETTINGS).getMessage())
        .doesNotContain("S3cret!")
        .contains("***");
  }

  @Test
  void aRefusedConnectionNamesTheAddressAndTheHostAndPortHint() {
    SQLException driver =
        new SQLException(
            "Connection to db:5432 refused.", "08001", new ConnectException("Connection refused"));
    DatabaseConnectionException e =
        DatabaseConnectionException.find(driver, SETTINGS).orElseThrow();
    assertThat(e.reason()).isEqualTo(DatabaseConnectionException.Reason.UNREACHABLE);
    assertThat(e.getMessage()).contains("db:5432 refused").contains("host and port in db.url");
  }

  @Test
  void aServerStartingUpOrShuttingDownIsUnavailableNotASettingsProblem() {
    for (String state : new String[] {"57P01", "57P02", "57P03"}) {
      SQLException driver = new SQLException("FATAL: the database system is starting up", state);
      DatabaseConnectionException e =
          DatabaseConnectionException.explain(
              new SQLException("could not open a connection", "08001", driver), SETTINGS);
      assertThat(e.reason()).as(state).isEqualTo(DatabaseConnectionException.Reason.UNAVAILABLE);
      assertThat(e.getMessage()).contains("starting up").doesNotContain("db.password");
    }
  }

  @Test
  void aConnectionTheServerClosesDuringTheHandshakeIsUnavailable() {
    // what pgjdbc throws while PostgreSQL restarts: "The connection attempt failed." (08001)
    // caused by the socket the server closed
    for (Exception closed :
        new Exception[] {
          new java.io.EOFException(), new java.net.SocketException("Connection reset")
        }) {
      SQLException driver = new SQLException("The connection attempt failed.", "08001", closed);
      DatabaseConnectionException e = DatabaseConnectionException.explain(driver, SETTINGS);
      assertThat(e.reason())
          .as(closed.toString())
          .isEqualTo(DatabaseConnectionException.Reason.UNAVAILABLE);
      assertThat(e.getMessage()).doesNotContain("db.password");
    }
  }

  @Test
  void aMissingTableIsNotAConnectionFailure() {
    SQLException missing = new SQLException("relation \"waybill_outbox\" does not exist", "42P01");
    assertThat(DatabaseConnectionException.find(missing, SETTINGS)).isEmpty();
    assertThat(SqlStates.undefinedTable(missing)).isTrue();
    assertThat(SqlStates.undefinedTable(new SQLException("denied", "42501"))).isFalse();
  }
}

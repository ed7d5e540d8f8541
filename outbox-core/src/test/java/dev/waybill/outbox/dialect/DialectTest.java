package dev.waybill.outbox.dialect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DialectTest {

  @Test
  void detectsTheDialectFromTheJdbcUrl() {
    assertThat(Dialect.fromJdbcUrl("jdbc:postgresql://h/db")).isSameAs(Dialect.postgres());
    assertThat(Dialect.fromJdbcUrl("jdbc:mysql://h/db")).isSameAs(Dialect.mysql());
    assertThat(Dialect.fromJdbcUrl("jdbc:mariadb://h/db")).isSameAs(Dialect.mysql());
    assertThat(Dialect.fromJdbcUrl("JDBC:H2:mem:x")).isSameAs(Dialect.h2());
    assertThatThrownBy(() -> Dialect.fromJdbcUrl("jdbc:sqlserver://h;user=sa"))
        .isInstanceOf(UnsupportedDatabaseException.class)
        .hasMessage(
            "no Waybill dialect for JDBC URL scheme 'jdbc:sqlserver:': supported are"
                + " jdbc:postgresql:, jdbc:mysql:, jdbc:mariadb: and jdbc:h2:");
  }

  @Test
  void detectsTheDialectFromTheProductName() {
    assertThat(Dialect.fromProductName("PostgreSQL")).isSameAs(Dialect.postgres());
    assertThat(Dialect.fromProductName("MariaDB")).isSameAs(Dialect.mysql());
    assertThat(Dialect.fromProductName("MySQL")).isSameAs(Dialect.mysql());
    assertThat(Dialect.fromProductName("H2")).isSameAs(Dialect.h2());
    assertThatThrownBy(() -> Dialect.fromProductName("Oracle"))
        .hasMessage(
            "no Waybill dialect for database 'Oracle': supported are PostgreSQL, MySQL, MariaDB"
                + " and H2");
  }
}

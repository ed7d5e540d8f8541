package dev.waybill.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class JdbcUrlsTest {

  @Test
  void replacesTheDatabaseOfAPostgresUrl() {
    assertThat(JdbcUrls.withDatabase("jdbc:postgresql://127.0.0.1:5432/postgres", "t1"))
        .isEqualTo("jdbc:postgresql://127.0.0.1:5432/t1");
  }

  @Test
  void keepsQueryParameters() {
    assertThat(
            JdbcUrls.withDatabase(
                "jdbc:postgresql://localhost:41234/postgres?user=postgres&ssl=false", "t1"))
        .isEqualTo("jdbc:postgresql://localhost:41234/t1?user=postgres&ssl=false");
  }

  @Test
  void addsADatabaseToAUrlWithoutOne() {
    assertThat(JdbcUrls.withDatabase("jdbc:mariadb://127.0.0.1:3306/", "t1"))
        .isEqualTo("jdbc:mariadb://127.0.0.1:3306/t1");
    assertThat(JdbcUrls.withDatabase("jdbc:mariadb://127.0.0.1:3306", "t1"))
        .isEqualTo("jdbc:mariadb://127.0.0.1:3306/t1");
    assertThat(JdbcUrls.withDatabase("jdbc:mariadb://127.0.0.1:3306?useSsl=false", "t1"))
        .isEqualTo("jdbc:mariadb://127.0.0.1:3306/t1?useSsl=false");
  }

  @Test
  void keepsEveryHostOfAMultiHostUrl() {
    assertThat(JdbcUrls.withDatabase("jdbc:postgresql://h1:5432,h2:5433/postgres", "t1"))
        .isEqualTo("jdbc:postgresql://h1:5432,h2:5433/t1");
  }

  @Test
  void handlesTheHostlessForm() {
    assertThat(JdbcUrls.withDatabase("jdbc:postgresql:postgres?user=x", "t1"))
        .isEqualTo("jdbc:postgresql:t1?user=x");
  }

  @Test
  void rejectsWhatIsNotAJdbcUrl() {
    assertThatThrownBy(() -> JdbcUrls.withDatabase("postgresql://h/db", "t1"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

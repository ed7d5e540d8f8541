package dev.waybill.outbox.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.waybill.outbox.jdbc.DatabaseSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretFilesTest {
  static final String SECRET = "S3cret-from-a-volume";

  @TempDir Path dir;

  Path secretFile(String content) throws Exception {
    Path f = dir.resolve("secret-" + content.length());
    Files.writeString(f, content);
    return f;
  }

  static List<String> problems(Settings s) {
    Settings.Reader r = s.reader();
    DatabaseSettings.read(r);
    List<String> all =
        new ArrayList<>(s.unknownKeyProblems(List.of("db."), DatabaseSettings.SETTINGS));
    all.addAll(r.problems());
    return all;
  }

  static Map<String, String> db() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("db.url", "jdbc:postgresql://db:5432/app");
    m.put("db.user", "app");
    return m;
  }

  @Test
  void dbPasswordIsReadFromTheFileThatDbPasswordFileNamesWithoutTheTrailingNewline()
      throws Exception {
    Map<String, String> m = db();
    m.put("db.password.file", secretFile(SECRET + "\n").toString());
    Settings.Reader r = Settings.of(m).reader();
    DatabaseSettings read = DatabaseSettings.read(r);
    r.finish();
    assertThat(read.password()).isEqualTo(SECRET);
    assertThat(problems(Settings.of(m))).isEmpty();
  }

  @Test
  void theEnvironmentVariableOfASecretsFileVariantIsRead() throws Exception {
    Settings s =
        Settings.builder()
            .environment(
                Map.of(
                    "WAYBILL_DB_URL", "jdbc:postgresql://db:5432/app",
                    "WAYBILL_DB_USER", "app",
                    "WAYBILL_DB_PASSWORD_FILE", secretFile(SECRET + "\r\n").toString()),
                DatabaseSettings.SETTINGS,
                List.of())
            .build();
    assertThat(s.unusedVariables()).isEmpty();
    Settings.Reader r = s.reader();
    assertThat(DatabaseSettings.read(r).password()).isEqualTo(SECRET);
  }

  @Test
  void aMissingSecretFileIsAProblemNamingTheKeyAndThePath() {
    Map<String, String> m = db();
    Path missing = dir.resolve("no-such-secret");
    m.put("db.password.file", missing.toString());
    assertThat(problems(Settings.of(m)))
        .containsExactly(
            "'"
                + missing
                + "' → db.password.file → cannot be read (NoSuchFileException): give the path of"
                + " a readable file holding the value, e.g. a mounted secret");
  }

  @Test
  void aSecretGivenBothDirectlyAndByFileIsAProblemThatShowsNeitherValue() throws Exception {
    Map<String, String> m = db();
    m.put("db.password", SECRET);
    m.put("db.password.file", secretFile("other").toString());
    List<String> problems = problems(Settings.of(m));
    assertThat(problems)
        .containsExactly(
            "(secret) → db.password and db.password.file → both set: give the value or the file"
                + " that holds it, not both");
  }

  @Test
  void aSetFlagWithoutKeyIsRefusedWithoutEchoingItsText() {
    assertThatThrownBy(
            () ->
                SettingsSources.load(
                    null, List.of(SECRET), Map.of(), DatabaseSettings.SETTINGS, List.of()))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> {
              assertThat(e.getMessage()).doesNotContain(SECRET).contains("--set");
              assertThat(e.problems()).singleElement().asString().contains("expected key=value");
            });
  }

  static final PassThroughFamily KAFKA =
      PassThroughFamily.kafka(
          "the test client",
          Map.of(
              "bootstrap.servers", false,
              "security.protocol", false,
              "sasl.jaas.config", true,
              "sasl.oauthbearer.assertion.file", false));

  @Test
  void aPassThroughKeyIsReadFromItsFileVariantUnlessTheLibraryDeclaresTheFileKeyItself()
      throws Exception {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("kafka.bootstrap.servers", "kafka:9092");
    m.put("kafka.sasl.jaas.config.file", secretFile(SECRET + "\n").toString());
    m.put("kafka.sasl.oauthbearer.assertion.file", "/var/run/assertion.jwt");
    List<String> problems = new ArrayList<>();
    Map<String, String> read = KAFKA.read(Settings.of(m), problems);
    assertThat(problems).isEmpty();
    assertThat(read)
        .containsEntry("sasl.jaas.config", SECRET)
        .containsEntry("sasl.oauthbearer.assertion.file", "/var/run/assertion.jwt")
        .doesNotContainKey("sasl.jaas.config.file");
  }

  @Test
  void anUnknownPassThroughKeyIsAProblemNamingTheClosestKnownOneAndEveryProblemIsReported()
      throws Exception {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("kafka.bootstrap.servers", "kafka:9092");
    m.put("kafka.security.protocl", "SASL_SSL");
    m.put("kafka.sasl.jass.config.file", "/x");
    m.put("kafka.sasl.jaas.config", SECRET);
    m.put("kafka.sasl.jaas.config.file", secretFile("x").toString());
    m.put("kafka.security.protocol.file", dir.resolve("absent").toString());
    List<String> problems = new ArrayList<>();
    KAFKA.read(Settings.of(m), problems);
    assertThat(problems)
        .containsExactlyInAnyOrder(
            "(unknown) → kafka.security.protocl → not a setting of the test client; did you mean"
                + " kafka.security.protocol? (see docs/configuration.md)",
            "(unknown) → kafka.sasl.jass.config.file → not a setting of the test client; did you"
                + " mean kafka.sasl.jaas.config.file? (see docs/configuration.md)",
            "(secret) → kafka.sasl.jaas.config and kafka.sasl.jaas.config.file → both set: give"
                + " the value or the file that holds it, not both",
            "'"
                + dir.resolve("absent")
                + "' → kafka.security.protocol.file → cannot be read (NoSuchFileException): give"
                + " the path of a readable file holding the value, e.g. a mounted secret");
    assertThat(String.join("\n", problems)).doesNotContain(SECRET);
  }

  @Test
  void declaredSecretsAndUnknownKeysAreMaskedAndDynamicPrefixesAreKnown() {
    Map<String, String> v = new LinkedHashMap<>();
    v.put("bootstrap.servers", "kafka:9092");
    v.put("sasl.jaas.config", SECRET);
    v.put("ssl.misplaced.password", SECRET);
    v.put("config.providers.dir.class", "org.example.Provider");
    assertThat(KAFKA.masked(v))
        .containsExactly(
            Map.entry("bootstrap.servers", "kafka:9092"),
            Map.entry("sasl.jaas.config", "***"),
            Map.entry("ssl.misplaced.password", "***"),
            Map.entry("config.providers.dir.class", "org.example.Provider"));
  }
}

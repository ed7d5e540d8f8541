package dev.waybill.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.waybill.outbox.config.ConfigException;
import dev.waybill.outbox.config.Settings;
import dev.waybill.relay.RelayConfig;
import dev.waybill.relay.RelayConfigTest;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code migrate} and {@code status} read their few settings through the same declarations and the
 * same unknown-key check as {@code run}, so both report a bad value identically.
 */
class RelayMainSettingsTest {

  static Map<String, String> settings() {
    Map<String, String> m = RelayConfigTest.required();
    m.put("relay.mode", "stream");
    m.put("relay.batchsize", "10");
    return m;
  }

  @Test
  void migrateAndRunReportABadModeAndAnUnknownKeyWithTheSameProblems() {
    ConfigException run =
        catchThrowableOfType(
            () -> RelayConfig.read(Settings.of(settings())), ConfigException.class);
    ConfigException migrate =
        catchThrowableOfType(
            () -> RelayMain.readDatabase(Settings.of(settings())), ConfigException.class);
    assertThat(migrate.problems())
        .containsExactlyInAnyOrder(
            "(unknown) → relay.batchsize → not a setting; did you mean relay.batch.size? (see"
                + " docs/configuration.md)",
            "'stream' → relay.mode → expected polling or cdc");
    assertThat(run.problems()).containsAll(migrate.problems());
  }
}

package dev.waybill.dlq;

import static org.assertj.core.api.Assertions.assertThat;

import dev.waybill.inbox.InboxConfig;
import dev.waybill.outbox.OutboxConfig;
import dev.waybill.outbox.config.Setting;
import dev.waybill.outbox.config.SettingsTable;
import dev.waybill.outbox.jdbc.DatabaseSettings;
import dev.waybill.relay.RelayConfig;
import dev.waybill.testkit.CliOptionTables;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Keeps {@code docs/configuration.md} equal to the code as a whole. It lives here because this is
 * the one module whose tests see every module's declarations (outbox-core, outbox-relay and
 * inbox-consumer are test dependencies of dlq-tools):
 *
 * <ul>
 *   <li>the settings tables hold exactly one row per declared setting of every family ({@code
 *       db.*}, {@code outbox.*}, {@code relay.*}, {@code http.*}, {@code kafka.*}, {@code
 *       inbox.*}), each as {@link Setting#markdownRow()} writes it, and no row for anything else;
 *   <li>the DLQ tool's option table (after {@code <!-- options:dlq -->}) lists exactly the options
 *       of every {@code dlq.jar} subcommand, with their parameter labels and defaults.
 * </ul>
 *
 * The modules' own tests check their families (ConfigurationDocTest in outbox-core, RelayConfigTest
 * and RelayCommandLineDocTest in outbox-relay, InboxConfigurationDocTest in inbox-consumer), so a
 * change fails in the module that made it.
 */
class ConfigurationDocTest {
  static final String MARKER = "<!-- options:dlq -->";

  /**
   * A settings-table row: {@code | `key` | `WAYBILL_...` | ...}, as Setting.markdownRow() writes.
   */
  static final Pattern SETTING_ROW = Pattern.compile("^\\| `([^`]+)` \\| `WAYBILL_[A-Z0-9_]+` \\|");

  static String doc() throws Exception {
    return Files.readString(Path.of("..", "docs", "configuration.md"));
  }

  /** Every generated table of the doc, by the name in its markers, and its declarations. */
  static Map<String, List<Setting<?>>> tables() {
    Map<String, List<Setting<?>>> t = new LinkedHashMap<>();
    t.put("db", DatabaseSettings.SETTINGS);
    t.put("outbox", OutboxConfig.SETTINGS);
    t.put("relay", RelayConfig.SETTINGS);
    t.put("inbox", InboxConfig.SETTINGS);
    return t;
  }

  /**
   * The generator's check: the doc equals what {@link SettingsTable#render} makes of it. Run with
   * {@code -Dwaybill.docs.write=true} to write the generated tables into the file instead.
   */
  @Test
  void theSettingsTablesAreWhatTheGeneratorWrites() throws Exception {
    Path file = Path.of("..", "docs", "configuration.md");
    String doc = Files.readString(file);
    String generated = SettingsTable.render(doc, tables());
    if (Boolean.getBoolean("waybill.docs.write") && !generated.equals(doc)) {
      Files.writeString(file, generated);
      doc = generated;
    }
    assertThat(doc)
        .as(
            "docs/configuration.md against the tables generated from the declarations; run"
                + " this test with -Dwaybill.docs.write=true to regenerate them")
        .isEqualTo(generated);
  }

  @Test
  void theSettingsTablesHoldExactlyTheDeclaredSettingsOfEveryModule() throws Exception {
    List<Setting<?>> declared = new ArrayList<>(DatabaseSettings.SETTINGS);
    declared.addAll(OutboxConfig.SETTINGS);
    declared.addAll(RelayConfig.SETTINGS);
    declared.addAll(InboxConfig.SETTINGS);
    Map<String, String> expected = new TreeMap<>();
    declared.forEach(s -> expected.put(s.key(), s.markdownRow()));
    Map<String, String> rows = new TreeMap<>();
    for (String line : doc().split("\n")) {
      Matcher m = SETTING_ROW.matcher(line);
      if (m.find()) {
        assertThat(rows.put(m.group(1), line)).as("%s has one row", m.group(1)).isNull();
      }
    }
    assertThat(rows)
        .as(
            "settings rows of docs/configuration.md (left) against the declared settings (right);"
                + " paste the expected row, or delete the row of a setting that does not exist")
        .containsExactlyInAnyOrderEntriesOf(expected);
  }

  @Test
  void everyDlqToolOptionIsDocumentedAndEveryDocumentedOptionExists() throws Exception {
    Map<String, String> declared = CliOptionTables.declared(new CommandLine(new DlqMain()));
    Map<String, String> documented = CliOptionTables.documented(doc(), MARKER);
    assertThat(documented)
        .as(
            "'option on command' → default, from the table after %s in docs/configuration.md"
                + " (left) against DlqMain's picocli options (right)",
            MARKER)
        .containsExactlyInAnyOrderEntriesOf(declared);
  }
}

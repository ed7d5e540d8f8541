package dev.waybill.outbox.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.waybill.outbox.OutboxConfig;
import dev.waybill.outbox.jdbc.DatabaseSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@code docs/configuration.md} true for the {@code db.*} and {@code outbox.*} settings, in
 * both directions: every declared setting has exactly the row that its declaration produces, and
 * every row of those families names a declared setting. When this fails, paste the printed row into
 * the doc (or delete the row of a setting that no longer exists).
 */
class ConfigurationDocTest {
  /**
   * A settings-table row: {@code | `key` | `WAYBILL_...` | ...}, as Setting.markdownRow() writes.
   */
  static final Pattern SETTING_ROW = Pattern.compile("^\\| `([^`]+)` \\| `WAYBILL_[A-Z0-9_]+` \\|");

  static final List<String> FAMILIES = List.of("db.", "outbox.");

  static String doc() throws Exception {
    return Files.readString(Path.of("..", "docs", "configuration.md"));
  }

  /** The keys of every settings-table row of the doc, in order (duplicates kept). */
  static List<String> documentedKeys(String doc) {
    List<String> keys = new ArrayList<>();
    for (String line : doc.split("\n")) {
      Matcher m = SETTING_ROW.matcher(line);
      if (m.find()) {
        keys.add(m.group(1));
      }
    }
    return keys;
  }

  static List<Setting<?>> declared() {
    List<Setting<?>> all = new ArrayList<>(DatabaseSettings.SETTINGS);
    all.addAll(OutboxConfig.SETTINGS);
    return all;
  }

  @Test
  void everyOutboxCoreSettingIsDocumentedAsDeclared() throws Exception {
    String doc = doc();
    for (Setting<?> s : declared()) {
      assertThat(doc)
          .as("row for %s; expected:%n%s", s.key(), s.markdownRow())
          .contains(s.markdownRow());
    }
  }

  @Test
  void everyDocumentedDbAndOutboxSettingIsDeclaredAndDocumentedOnce() throws Exception {
    Set<String> declared = new TreeSet<>();
    declared().forEach(s -> declared.add(s.key()));
    List<String> documented =
        documentedKeys(doc()).stream()
            .filter(k -> FAMILIES.stream().anyMatch(k::startsWith))
            .toList();
    assertThat(documented)
        .as("rows of db.* and outbox.* settings in docs/configuration.md")
        .doesNotHaveDuplicates()
        .allSatisfy(
            k ->
                assertThat(declared)
                    .as("'%s' has a row in docs/configuration.md but is not a setting", k)
                    .contains(k));
  }
}

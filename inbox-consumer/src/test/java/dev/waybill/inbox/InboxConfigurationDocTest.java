package dev.waybill.inbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.waybill.outbox.config.Setting;
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
 * Keeps the inbox rows of {@code docs/configuration.md} equal to the declarations, in both
 * directions: every {@code inbox.*} setting has the row its declaration produces, and every {@code
 * inbox.*} row names a declared setting.
 */
class InboxConfigurationDocTest {
  /**
   * A settings-table row: {@code | `key` | `WAYBILL_...` | ...}, as Setting.markdownRow() writes.
   */
  static final Pattern SETTING_ROW = Pattern.compile("^\\| `([^`]+)` \\| `WAYBILL_[A-Z0-9_]+` \\|");

  static String doc() throws Exception {
    return Files.readString(Path.of("..", "docs", "configuration.md"));
  }

  @Test
  void everyInboxSettingIsDocumentedAsDeclared() throws Exception {
    String doc = doc();
    for (Setting<?> s : InboxConfig.SETTINGS) {
      assertThat(doc)
          .as("row for %s; expected:%n%s", s.key(), s.markdownRow())
          .contains(s.markdownRow());
    }
  }

  @Test
  void everyDocumentedInboxSettingIsDeclaredAndDocumentedOnce() throws Exception {
    Set<String> declared = new TreeSet<>();
    InboxConfig.SETTINGS.forEach(s -> declared.add(s.key()));
    List<String> documented = new ArrayList<>();
    for (String line : doc().split("\n")) {
      Matcher m = SETTING_ROW.matcher(line);
      if (m.find() && m.group(1).startsWith("inbox.")) {
        documented.add(m.group(1));
      }
    }
    assertThat(documented)
        .as("rows of inbox.* settings in docs/configuration.md")
        .doesNotHaveDuplicates()
        .allSatisfy(
            k ->
                assertThat(declared)
                    .as("'%s' has a row in docs/configuration.md but is not a setting", k)
                    .contains(k));
  }
}

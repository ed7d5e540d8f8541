package dev.waybill.outbox.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.waybill.outbox.OutboxConfig;
import dev.waybill.outbox.jdbc.DatabaseSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@code docs/configuration.md} true: every declared setting has exactly the row that its
 * declaration produces. When this fails, paste the printed row into the doc.
 */
class ConfigurationDocTest {

  @Test
  void everyOutboxCoreSettingIsDocumentedAsDeclared() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "configuration.md"));
    for (List<Setting<?>> family : List.of(DatabaseSettings.SETTINGS, OutboxConfig.SETTINGS)) {
      for (Setting<?> s : family) {
        assertThat(doc)
            .as("row for %s; expected:%n%s", s.key(), s.markdownRow())
            .contains(s.markdownRow());
      }
    }
  }
}

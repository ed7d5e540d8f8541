package dev.waybill.inbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.waybill.outbox.config.Setting;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Keeps the inbox rows of {@code docs/configuration.md} equal to the declarations. */
class InboxConfigurationDocTest {

  @Test
  void everyInboxSettingIsDocumentedAsDeclared() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "configuration.md"));
    for (Setting<?> s : InboxConfig.SETTINGS) {
      assertThat(doc)
          .as("row for %s; expected:%n%s", s.key(), s.markdownRow())
          .contains(s.markdownRow());
    }
  }
}

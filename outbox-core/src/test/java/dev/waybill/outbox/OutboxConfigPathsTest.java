package dev.waybill.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.waybill.outbox.config.ConfigException;
import dev.waybill.outbox.config.Settings;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The builder and the properties path of {@link OutboxConfig} refuse the same values alike. */
class OutboxConfigPathsTest {

  static ConfigException fromProperties(Map<String, String> values) {
    return catchThrowableOfType(
        () -> {
          Settings.Reader r = Settings.of(values).reader();
          OutboxConfig.read(r);
          r.finish();
        },
        ConfigException.class);
  }

  @Test
  void aMessageLimitAboveTheMaximumIsRefusedByTheBuilderAsByTheProperties() {
    int tooLarge = 512 * 1024 * 1024;
    ConfigException built =
        catchThrowableOfType(
            () -> OutboxConfig.builder().maxMessageBytes(tooLarge).build(), ConfigException.class);
    ConfigException read =
        fromProperties(Map.of("outbox.message.max.bytes", Integer.toString(tooLarge)));
    assertThat(built).isNotNull();
    assertThat(built.details()).isEqualTo(read.details());
    assertThat(built.problems())
        .containsExactly(
            "'536870912' → outbox.message.max.bytes → expected a number from 1024 to 268435456");
  }

  @Test
  void theWriteModeIsAnEnumSettingWithItsDefault() {
    assertThat(OutboxConfig.defaults().writeMode())
        .isEqualTo(OutboxConfig.WRITE_MODE.defaultValue());
    assertThat(fromProperties(Map.of("outbox.write.mode", "wal")).problems())
        .containsExactly("'wal' → outbox.write.mode → expected table or message");
  }
}

package dev.waybill.outbox.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SettingTest {
  static final Setting<Long> SIZE =
      Setting.byteSizeOrAuto("test.max.bytes", 64L * 1024, 1L << 30, "A size.");

  @Test
  void aByteSizeIsReadInBytesOrWithABinaryUnitOrAsAuto() {
    assertThat(SIZE.parse("auto")).isEqualTo(Setting.AUTO);
    assertThat(SIZE.parse(" AUTO ")).isEqualTo(Setting.AUTO);
    assertThat(SIZE.parse("900kB")).isEqualTo(900L * 1024);
    assertThat(SIZE.parse("32MB")).isEqualTo(32L << 20);
    assertThat(SIZE.parse("1GB")).isEqualTo(1L << 30);
    assertThat(SIZE.parse("8388608")).isEqualTo(8_388_608L);
    assertThat(SIZE.defaultText()).contains("auto");
    assertThat(SIZE.type()).isEqualTo("size 64kB..1GB or auto");
  }

  @Test
  void aByteSizeOutsideItsRangeOrInAnotherFormIsRefusedNamingTheForm() {
    assertThatThrownBy(() -> SIZE.parse("1kB"))
        .hasMessage("expected a size from 64kB to 1GB or auto");
    assertThatThrownBy(() -> SIZE.parse("2GB"))
        .hasMessage("expected a size from 64kB to 1GB or auto");
    assertThatThrownBy(() -> SIZE.parse("32 mb"))
        .hasMessage("expected a size such as 8388608, 900kB, 32MB or auto");
    assertThatThrownBy(() -> SIZE.parse("-5MB"))
        .hasMessage("expected a size such as 8388608, 900kB, 32MB or auto");
  }
}

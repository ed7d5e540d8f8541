package dev.waybill.dlq.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RangesTest {
  @Test
  void formatsRunsCompactlyAndParsesThemBack() {
    String s = Ranges.format(Map.of(1, List.of(12L), 0, List.of(9L, 3L, 4L, 5L, 6L, 7L)));
    assertThat(s).isEqualTo("0:3-7,9;1:12");
    List<String> back = new ArrayList<>();
    Ranges.forEach(s, (p, o) -> back.add(p + ":" + o));
    assertThat(back).containsExactly("0:3", "0:4", "0:5", "0:6", "0:7", "0:9", "1:12");
  }

  @Test
  void emptyIsEmpty() {
    assertThat(Ranges.format(List.of())).isEmpty();
    List<String> none = new ArrayList<>();
    Ranges.forEach("", (p, o) -> none.add("x"));
    assertThat(none).isEmpty();
  }
}

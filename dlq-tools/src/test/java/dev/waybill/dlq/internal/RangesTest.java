package dev.waybill.dlq.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RangesTest {
  @Test
  void formatsRunsCompactlyAndParsesThemBack() {
    String s = Ranges.format(Map.of(1, List.of(12L), 0, List.of(9L, 3L, 4L, 5L, 6L, 7L)));
    assertThat(s).isEqualTo("0:3-7,9;1:12");
    assertThat(Ranges.parse(s))
        .containsExactly(
            new Ranges.Range(0, 3, 7), new Ranges.Range(0, 9, 9), new Ranges.Range(1, 12, 12));
  }

  @Test
  void emptyIsEmpty() {
    assertThat(Ranges.format(List.of())).isEmpty();
    assertThat(Ranges.parse("")).isEmpty();
    assertThat(Ranges.parse(null)).isEmpty();
  }

  @Test
  void aHugeRangeStaysOneRange() {
    List<Ranges.Range> r = Ranges.parse("0:0-9223372036854775806");
    assertThat(r).containsExactly(new Ranges.Range(0, 0, 9223372036854775806L));
    assertThat(r.get(0).size()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void malformedTextIsRefusedWithWhatIsWrong() {
    assertThatThrownBy(() -> Ranges.parse("0:7-3")).hasMessageContaining("out of bounds");
    assertThatThrownBy(() -> Ranges.parse("0:0-9223372036854775807"))
        .hasMessageContaining("out of bounds");
    assertThatThrownBy(() -> Ranges.parse("0:0-99999999999999999999"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Ranges.parse("x:1")).hasMessageContaining("PARTITION:OFFSETS");
    assertThatThrownBy(() -> Ranges.parse("0:1,,2")).hasMessageContaining("OFFSET or FROM-TO");
    assertThatThrownBy(() -> Ranges.parse("0:-1")).hasMessageContaining("OFFSET or FROM-TO");
    assertThatThrownBy(() -> Ranges.parse("0:\u001b[2J")).hasMessageContaining("\\x1b[2J");
    assertThatThrownBy(() -> Ranges.parse("0:" + "1,".repeat(Ranges.MAX_RANGES) + "1"))
        .hasMessageContaining("more than");
  }

  @Test
  void resolvedOffsetsKeepRangesAndTheLaterOneWinsWhereTheyOverlap() {
    ResolvedOffsets r = new ResolvedOffsets();
    r.add("t", new Ranges.Range(0, 0, 9223372036854775806L), "discarded", 1);
    r.add("t", new Ranges.Range(0, 10, 19), "redriven", 2);
    r.add("t", new Ranges.Range(0, 15, 30), "discarded", 3);
    assertThat(r.resolution("t", 0, 9)).contains("discarded");
    assertThat(r.resolution("t", 0, 10)).contains("redriven");
    assertThat(r.resolution("t", 0, 14)).contains("redriven");
    assertThat(r.resolution("t", 0, 15)).contains("discarded");
    assertThat(r.resolution("t", 0, 9223372036854775806L)).contains("discarded");
    assertThat(r.resolution("t", 1, 0)).isEmpty();
    assertThat(r.resolution("u", 0, 0)).isEmpty();
    List<String> dropped = r.dropBeyond("t", Map.of(0, 100L), "state");
    assertThat(dropped)
        .singleElement()
        .asString()
        .contains("offset 1 of state marks t 0:31-9223372036854775806");
    assertThat(r.resolution("t", 0, 31)).isEmpty();
    assertThat(r.resolution("t", 0, 30)).contains("discarded");
  }
}

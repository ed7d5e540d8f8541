package dev.waybill.dlq.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Which dead letters are resolved ({@code redriven}, {@code discarded}), as non-overlapping offset
 * ranges per topic and partition: memory grows with the number of ranges written, never with how
 * many offsets they cover. A range added later wins where it overlaps an earlier one. Not
 * thread-safe. Not API.
 */
final class ResolvedOffsets {
  /** A range's end, its resolution, and the state record that said so. */
  private record Span(long to, String action, long source) {}

  private final Map<String, Map<Integer, NavigableMap<Long, Span>>> byTopic = new HashMap<>();

  /**
   * Marks {@code r} of {@code topic} resolved as {@code action}, read at state offset {@code
   * source}.
   */
  void add(String topic, Ranges.Range r, String action, long source) {
    NavigableMap<Long, Span> m =
        byTopic
            .computeIfAbsent(topic, t -> new HashMap<>())
            .computeIfAbsent(r.partition(), p -> new TreeMap<>());
    long from = r.from();
    long to = r.to();
    Map.Entry<Long, Span> below = m.lowerEntry(from);
    if (below != null && below.getValue().to() >= from) {
      Span s = below.getValue();
      m.put(below.getKey(), new Span(from - 1, s.action(), s.source()));
      if (s.to() > to) {
        m.put(to + 1, new Span(s.to(), s.action(), s.source()));
      }
    }
    for (Map.Entry<Long, Span> e : new ArrayList<>(m.subMap(from, true, to, true).entrySet())) {
      m.remove(e.getKey());
      if (e.getValue().to() > to) {
        m.put(to + 1, e.getValue());
      }
    }
    m.put(from, new Span(to, action, source));
  }

  /** How the offset was resolved, if it was. */
  Optional<String> resolution(String topic, int partition, long offset) {
    Map<Integer, NavigableMap<Long, Span>> byPartition = byTopic.get(topic);
    NavigableMap<Long, Span> m = byPartition == null ? null : byPartition.get(partition);
    if (m == null) {
      return Optional.empty();
    }
    Map.Entry<Long, Span> e = m.floorEntry(offset);
    return e != null && e.getValue().to() >= offset
        ? Optional.of(e.getValue().action())
        : Optional.empty();
  }

  /**
   * Forgets the ranges of {@code topic} that reach past the end of their partition (no tool run can
   * have resolved an offset that was never written) and returns one line per state record they came
   * from.
   *
   * @param ends the end offset of each partition of the topic
   * @param stateTopic the state topic's name, for the lines
   */
  List<String> dropBeyond(String topic, Map<Integer, Long> ends, String stateTopic) {
    List<String> dropped = new ArrayList<>();
    Map<Integer, NavigableMap<Long, Span>> byPartition = byTopic.get(topic);
    if (byPartition == null) {
      return dropped;
    }
    byPartition.forEach(
        (p, m) -> {
          long end = ends.getOrDefault(p, 0L);
          m.entrySet()
              .removeIf(
                  e -> {
                    if (e.getValue().to() < end) {
                      return false;
                    }
                    dropped.add(
                        "state record at offset "
                            + e.getValue().source()
                            + " of "
                            + stateTopic
                            + " marks "
                            + topic
                            + " "
                            + p
                            + ":"
                            + e.getKey()
                            + "-"
                            + e.getValue().to()
                            + " "
                            + e.getValue().action()
                            + ", beyond the partition's end offset "
                            + end);
                    return true;
                  });
        });
    return dropped;
  }
}

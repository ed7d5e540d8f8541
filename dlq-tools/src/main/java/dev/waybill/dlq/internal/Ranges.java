package dev.waybill.dlq.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Offsets written compactly, per partition: {@code 0:3-7,9;1:12}. Used for resolved records and the
 * audit trail. Not API.
 */
public final class Ranges {
  private Ranges() {}

  /** {@code 3-7,9} for 3,4,5,6,7,9. */
  public static String format(Collection<Long> offsets) {
    List<String> out = new ArrayList<>();
    Long start = null;
    Long prev = null;
    for (long o : new TreeSet<>(offsets)) {
      if (prev != null && o == prev + 1) {
        prev = o;
        continue;
      }
      if (start != null) {
        out.add(start.equals(prev) ? Long.toString(start) : start + "-" + prev);
      }
      start = o;
      prev = o;
    }
    if (start != null) {
      out.add(start.equals(prev) ? Long.toString(start) : start + "-" + prev);
    }
    return String.join(",", out);
  }

  /** {@code 0:3-7,9;1:12} for a map of partition to offsets. */
  public static String format(Map<Integer, ? extends Collection<Long>> byPartition) {
    List<String> out = new ArrayList<>();
    new TreeMap<>(byPartition)
        .forEach(
            (p, offsets) -> {
              if (!offsets.isEmpty()) {
                out.add(p + ":" + format(offsets));
              }
            });
    return String.join(";", out);
  }

  /** Calls {@code sink} for each offset of {@code 0:3-7,9;1:12}. */
  public static void forEach(String text, OffsetSink sink) {
    if (text == null || text.isBlank()) {
      return;
    }
    for (String part : text.split(";")) {
      int colon = part.indexOf(':');
      int p = Integer.parseInt(part.substring(0, colon));
      for (String r : part.substring(colon + 1).split(",")) {
        int dash = r.indexOf('-');
        long a = Long.parseLong(dash < 0 ? r : r.substring(0, dash));
        long b = dash < 0 ? a : Long.parseLong(r.substring(dash + 1));
        for (long o = a; o <= b; o++) {
          sink.accept(p, o);
        }
      }
    }
  }

  /** Receives offsets. */
  @FunctionalInterface
  public interface OffsetSink {
    /** One offset of a partition. */
    void accept(int partition, long offset);
  }
}

package dev.waybill.dlq.internal;

import dev.waybill.outbox.internal.SafeText;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Offsets written compactly, per partition: {@code 0:3-7,9;1:12}. Used for resolved records and the
 * audit trail. Text read back is parsed into ranges, never expanded into single offsets: a range
 * read from the state topic may be as wide as a forged record makes it. Not API.
 */
public final class Ranges {
  /** Most ranges one text may hold; a checkpoint of the tool writes at most 20,000 offsets. */
  static final int MAX_RANGES = 100_000;

  private static final Pattern RANGE = Pattern.compile("(\\d{1,19})(?:-(\\d{1,19}))?");
  private static final Pattern PARTITION = Pattern.compile("\\d{1,10}");

  private Ranges() {}

  /**
   * One run of offsets of a partition, both ends included.
   *
   * @param partition the partition, at least 0
   * @param from the first offset, at least 0
   * @param to the last offset, at least {@code from} and below {@link Long#MAX_VALUE}
   */
  public record Range(int partition, long from, long to) {
    /** Checks the bounds. */
    public Range {
      if (partition < 0 || from < 0 || to < from || to == Long.MAX_VALUE) {
        throw new IllegalArgumentException(
            "range " + partition + ":" + from + "-" + to + " is out of bounds");
      }
    }

    /** How many offsets it covers. */
    public long size() {
      return to - from + 1;
    }
  }

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

  /**
   * The ranges of {@code 0:3-7,9;1:12}, as written; empty for null or blank text.
   *
   * @throws IllegalArgumentException saying what is wrong, when the text is not of that form, a
   *     number is out of bounds, a range runs backwards, or it holds more than {@value #MAX_RANGES}
   *     ranges
   */
  public static List<Range> parse(String text) {
    List<Range> out = new ArrayList<>();
    if (text == null || text.isBlank()) {
      return out;
    }
    for (String part : text.split(";", -1)) {
      int colon = part.indexOf(':');
      if (colon < 0 || !PARTITION.matcher(part.substring(0, colon)).matches()) {
        throw new IllegalArgumentException(
            "expected PARTITION:OFFSETS such as 0:3-7,9 but found '" + cut(part) + "'");
      }
      long p = Long.parseLong(part.substring(0, colon));
      if (p > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("partition " + p + " is out of bounds");
      }
      for (String r : part.substring(colon + 1).split(",", -1)) {
        Matcher m = RANGE.matcher(r);
        if (!m.matches()) {
          throw new IllegalArgumentException(
              "expected OFFSET or FROM-TO in partition " + p + " but found '" + cut(r) + "'");
        }
        long from = number(m.group(1));
        long to = m.group(2) == null ? from : number(m.group(2));
        if (out.size() == MAX_RANGES) {
          throw new IllegalArgumentException("more than " + MAX_RANGES + " ranges");
        }
        out.add(new Range((int) p, from, to));
      }
    }
    return out;
  }

  private static long number(String digits) {
    try {
      return Long.parseLong(digits);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("offset " + digits + " is out of bounds", e);
    }
  }

  private static String cut(String s) {
    String c = s.length() > 40 ? s.substring(0, 40) + "..." : s;
    return SafeText.escape(c);
  }
}

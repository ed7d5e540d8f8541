package dev.waybill.dlq.internal;

import dev.waybill.dlq.DeadLetter;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which dead letters a command works on. Every given criterion must match. Offsets are inclusive.
 * Not API.
 *
 * @param group a fingerprint or its 8-digit group id, or null
 * @param exception text contained in the exception class or message, or null
 * @param key the exact record key, or null
 * @param headers headers that must be present with exactly these values
 * @param since dead-lettered at or after, or null
 * @param until dead-lettered before, or null
 * @param partition only this partition of the dead-letter topic, or null
 * @param fromOffset lowest offset, or null
 * @param toOffset highest offset, or null
 * @param limit most records, or null
 */
public record Filter(
    String group,
    String exception,
    String key,
    List<Map.Entry<String, String>> headers,
    Instant since,
    Instant until,
    Integer partition,
    Long fromOffset,
    Long toOffset,
    Integer limit) {

  private static final Pattern RELATIVE = Pattern.compile("(\\d+)(s|m|h|d)");

  /** Copies. */
  public Filter {
    headers = List.copyOf(headers);
  }

  /** Matches everything. */
  public static Filter none() {
    return new Filter(null, null, null, List.of(), null, null, null, null, null, null);
  }

  /** Whether the record matches every criterion except the offsets and the limit. */
  public boolean matches(DeadLetter d) {
    if (group != null && !group.equals(d.fingerprint()) && !group.equals(d.groupId())) {
      return false;
    }
    if (exception != null
        && !d.exceptionClass().contains(exception)
        && !d.exceptionMessage().contains(exception)
        && !d.cause().map(c -> c.contains(exception)).orElse(false)) {
      return false;
    }
    if (key != null && !d.key().map(key::equals).orElse(false)) {
      return false;
    }
    for (Map.Entry<String, String> h : headers) {
      if (!d.header(h.getKey()).contains(h.getValue())) {
        return false;
      }
    }
    if (since != null && d.timestamp().isBefore(since)) {
      return false;
    }
    return until == null || d.timestamp().isBefore(until);
  }

  /** Whether a partition is selected. */
  public boolean selects(int p) {
    return partition == null || partition == p;
  }

  /** The lowest offset to read in a partition whose log starts at {@code begin}. */
  public long start(long begin) {
    return fromOffset == null ? begin : Math.max(begin, fromOffset);
  }

  /** The offset after the last one to read in a partition whose log ends at {@code end}. */
  public long stop(long end) {
    return toOffset == null ? end : Math.min(end, toOffset + 1);
  }

  /** A stable text form of the criteria, for job ids and the audit trail. */
  public String canonical() {
    List<String> parts = new ArrayList<>();
    Optional.ofNullable(group).ifPresent(v -> parts.add("group=" + v));
    Optional.ofNullable(exception).ifPresent(v -> parts.add("exception=" + v));
    Optional.ofNullable(key).ifPresent(v -> parts.add("key=" + v));
    headers.stream()
        .map(h -> "header." + h.getKey() + "=" + h.getValue())
        .sorted()
        .forEach(parts::add);
    Optional.ofNullable(since).ifPresent(v -> parts.add("since=" + v));
    Optional.ofNullable(until).ifPresent(v -> parts.add("until=" + v));
    Optional.ofNullable(partition).ifPresent(v -> parts.add("partition=" + v));
    Optional.ofNullable(fromOffset).ifPresent(v -> parts.add("from-offset=" + v));
    Optional.ofNullable(toOffset).ifPresent(v -> parts.add("to-offset=" + v));
    Optional.ofNullable(limit).ifPresent(v -> parts.add("limit=" + v));
    return parts.isEmpty() ? "(all)" : String.join(" ", parts);
  }

  /**
   * Parses a point in time: an ISO-8601 instant ({@code 2024-05-01T10:00:00Z}), a date ({@code
   * 2024-05-01}, midnight UTC), or an age ({@code 30m}, {@code 2h}, {@code 7d}: that long ago).
   *
   * @throws UsageException naming the option and the accepted forms
   */
  public static Instant parseTime(String option, String text, Instant now) {
    if (text == null) {
      return null;
    }
    Matcher m = RELATIVE.matcher(text.trim());
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      Duration d =
          switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
          };
      return now.minus(d);
    }
    try {
      return Instant.parse(text.trim());
    } catch (DateTimeParseException e) {
      try {
        return LocalDate.parse(text.trim()).atStartOfDay().toInstant(ZoneOffset.UTC);
      } catch (DateTimeParseException e2) {
        throw new UsageException(
            "'"
                + text
                + "' → "
                + option
                + " → expected an instant (2024-05-01T10:00:00Z), a date (2024-05-01) or an age"
                + " (30m, 2h, 7d)");
      }
    }
  }

  /**
   * Parses {@code k=v}.
   *
   * @throws UsageException when there is no {@code =}
   */
  public static Map.Entry<String, String> parseHeader(String text) {
    int eq = text.indexOf('=');
    if (eq <= 0) {
      throw new UsageException(
          "'" + text + "' → --header → expected name=value, e.g. --header tenant=acme");
    }
    return Map.entry(text.substring(0, eq), text.substring(eq + 1));
  }
}

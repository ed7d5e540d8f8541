package dev.waybill.relay.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes the messages of PostgreSQL's built-in {@code pgoutput} plugin, protocol version 1: Begin,
 * Commit, Relation, Insert, Delete and logical decoding Messages; every other kind is returned as
 * {@link Other}. Tuple values arrive in PostgreSQL's text format. Keeps the relation descriptions
 * it was sent (one decoder per replication session). Not thread-safe. Not API.
 */
public final class PgOutput {
  /** Microseconds between 1970-01-01 and PostgreSQL's epoch 2000-01-01. */
  private static final long PG_EPOCH_MICROS = 946_684_800_000_000L;

  private static final DateTimeFormatter TIMESTAMPTZ =
      new DateTimeFormatterBuilder()
          .appendPattern("yyyy-MM-dd HH:mm:ss")
          .optionalStart()
          .appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true)
          .optionalEnd()
          .appendOffset("+HH:MM:ss", "Z")
          .toFormatter();

  private final Map<Integer, Relation> relations = new HashMap<>();

  /** One decoded message. */
  public sealed interface Event permits Begin, Commit, Insert, Delete, Message, Other {}

  /** A transaction starts; {@code commitTime} from the server. */
  public record Begin(long finalLsn, Instant commitTime, int xid) implements Event {}

  /** A transaction ends; confirm {@code endLsn} once everything in it was settled. */
  public record Commit(long commitLsn, long endLsn, Instant commitTime) implements Event {}

  /** A row was inserted; values by column name, text format, null for SQL NULL. */
  public record Insert(Relation relation, Map<String, String> values) implements Event {}

  /** A row was deleted; the old key (or full row) values by column name. */
  public record Delete(Relation relation, Map<String, String> oldValues) implements Event {}

  /** A logical decoding message ({@code pg_logical_emit_message}). Content not copied. */
  public record Message(boolean transactional, long lsn, String prefix, byte[] content)
      implements Event {}

  /** Relation, type, origin, truncate, update...: nothing the relay acts on. */
  public record Other(char kind) implements Event {}

  /** A table as described by a Relation message. */
  public record Relation(int oid, String schema, String name, List<String> columns) {}

  /**
   * Decodes one message of the stream.
   *
   * @throws IllegalArgumentException when the message is truncated or names an unknown relation
   */
  public Event decode(ByteBuffer b) {
    char kind = (char) b.get();
    switch (kind) {
      case 'B':
        return new Begin(b.getLong(), time(b.getLong()), b.getInt());
      case 'C':
        b.get(); // flags
        return new Commit(b.getLong(), b.getLong(), time(b.getLong()));
      case 'R':
        {
          int oid = b.getInt();
          String schema = cstring(b);
          String name = cstring(b);
          b.get(); // replica identity
          int n = b.getShort();
          List<String> cols = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            b.get(); // flags
            cols.add(cstring(b));
            b.getInt(); // type oid
            b.getInt(); // type modifier
          }
          relations.put(oid, new Relation(oid, schema, name, List.copyOf(cols)));
          return new Other(kind);
        }
      case 'I':
        {
          Relation r = relation(b.getInt());
          b.get(); // 'N'
          return new Insert(r, tuple(b, r));
        }
      case 'D':
        {
          Relation r = relation(b.getInt());
          b.get(); // 'K' or 'O'
          return new Delete(r, tuple(b, r));
        }
      case 'M':
        {
          boolean transactional = (b.get() & 1) == 1;
          long lsn = b.getLong();
          String prefix = cstring(b);
          byte[] content = new byte[b.getInt()];
          b.get(content);
          return new Message(transactional, lsn, prefix, content);
        }
      default:
        return new Other(kind);
    }
  }

  private Relation relation(int oid) {
    Relation r = relations.get(oid);
    if (r == null) {
      throw new IllegalArgumentException("pgoutput sent a change for unknown relation " + oid);
    }
    return r;
  }

  private static Map<String, String> tuple(ByteBuffer b, Relation r) {
    int n = b.getShort();
    Map<String, String> out = new HashMap<>(n * 2);
    for (int i = 0; i < n; i++) {
      char k = (char) b.get();
      String col = i < r.columns().size() ? r.columns().get(i) : "#" + i;
      if (k == 't' || k == 'b') {
        int len = b.getInt();
        String v =
            new String(b.array(), b.arrayOffset() + b.position(), len, StandardCharsets.UTF_8);
        b.position(b.position() + len);
        out.put(col, v);
      } else {
        out.put(col, null); // 'n' null, 'u' unchanged TOAST value (not sent for inserts)
      }
    }
    return out;
  }

  private static String cstring(ByteBuffer b) {
    int start = b.position();
    while (b.get() != 0) {
      // scan to the terminator
    }
    return new String(
        b.array(), b.arrayOffset() + start, b.position() - start - 1, StandardCharsets.UTF_8);
  }

  private static Instant time(long pgMicros) {
    long micros = pgMicros + PG_EPOCH_MICROS;
    return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L))
        .plusNanos(Math.floorMod(micros, 1_000_000L) * 1000L);
  }

  /**
   * Parses a {@code timestamptz} in PostgreSQL's ISO text output, e.g. {@code 2024-05-01
   * 10:00:00.5+02}.
   */
  public static Instant timestamp(String text) {
    int n = text.length();
    String t = text;
    if (n > 3 && (text.charAt(n - 3) == '+' || text.charAt(n - 3) == '-')) {
      t = text + ":00"; // PostgreSQL writes whole-hour offsets as +02
    }
    return OffsetDateTime.parse(t, TIMESTAMPTZ).toInstant();
  }

  /** Decodes {@code bytea} hex output ({@code \x0a0b...}). */
  public static byte[] bytea(String text) {
    if (!text.startsWith("\\x")) {
      throw new IllegalArgumentException("bytea value is not in hex format (bytea_output=hex)");
    }
    int n = (text.length() - 2) / 2;
    byte[] out = new byte[n];
    for (int i = 0; i < n; i++) {
      out[i] = (byte) ((hex(text.charAt(2 + 2 * i)) << 4) | hex(text.charAt(3 + 2 * i)));
    }
    return out;
  }

  private static int hex(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    throw new IllegalArgumentException("invalid hex digit in bytea value");
  }
}

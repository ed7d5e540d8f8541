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
import java.util.UUID;

/**
 * Decodes the messages of PostgreSQL's built-in {@code pgoutput} plugin, protocol version 1: Begin,
 * Commit, Relation, Insert, Delete and logical decoding Messages; every other kind is returned as
 * {@link Other}. Tuple values may arrive in binary ({@code binary 'true'}, what the relay asks for)
 * or text format; {@link Tuple} reads both, by the column types the Relation message announced.
 * Keeps the relation descriptions it was sent (one decoder per replication session). Not
 * thread-safe. Not API.
 */
public final class PgOutput {
  /** Microseconds between 1970-01-01 and PostgreSQL's epoch 2000-01-01. */
  private static final long PG_EPOCH_MICROS = 946_684_800_000_000L;

  // type oids (pg_type.dat) of the columns Waybill's tables use
  private static final int BOOL = 16;
  private static final int BYTEA = 17;
  private static final int NAME = 19;
  private static final int INT8 = 20;
  private static final int INT2 = 21;
  private static final int INT4 = 23;
  private static final int TEXT = 25;
  private static final int JSON = 114;
  private static final int BPCHAR = 1042;
  private static final int VARCHAR = 1043;
  private static final int TIMESTAMP = 1114;
  private static final int TIMESTAMPTZ = 1184;
  private static final int UUID_OID = 2950;
  private static final int JSONB = 3802;

  private static final DateTimeFormatter TIMESTAMPTZ_TEXT =
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

  /** A row was inserted. */
  public record Insert(Relation relation, Tuple values) implements Event {}

  /** A row was deleted; the old key (or full row, by replica identity). */
  public record Delete(Relation relation, Tuple oldValues) implements Event {}

  /** A logical decoding message ({@code pg_logical_emit_message}). Content not copied. */
  public record Message(boolean transactional, long lsn, String prefix, byte[] content)
      implements Event {}

  /** Relation, type, origin, truncate, update...: nothing the relay acts on. */
  public record Other(char kind) implements Event {}

  /** A table as described by a Relation message: name, columns and their type oids. */
  public static final class Relation {
    private final String schema;
    private final String name;
    private final List<String> columns;
    private final int[] types;
    private final Map<String, Integer> positions = new HashMap<>();

    Relation(String schema, String name, List<String> columns, int[] types) {
      this.schema = schema;
      this.name = name;
      this.columns = columns;
      this.types = types;
      for (int i = 0; i < columns.size(); i++) {
        positions.put(columns.get(i), i);
      }
    }

    /** The table's schema. */
    public String schema() {
      return schema;
    }

    /** The table's name. */
    public String name() {
      return name;
    }

    /** Column names in tuple order. */
    public List<String> columns() {
      return columns;
    }

    /** The position of a column, -1 when the table has no such column. */
    public int index(String column) {
      Integer i = positions.get(column);
      return i == null ? -1 : i;
    }

    int type(int i) {
      return i < types.length ? types[i] : 0;
    }
  }

  /**
   * The values of one row, read by column name. Values are decoded on access from the message's
   * buffer, which the tuple keeps; SQL NULL reads as {@code null}.
   */
  public static final class Tuple {
    private static final int NULL = -1;
    private final Relation relation;
    private final byte[] data;
    private final int[] offsets;
    private final int[] lengths;
    private final boolean[] binary;

    private Tuple(Relation relation, byte[] data, int[] offsets, int[] lengths, boolean[] binary) {
      this.relation = relation;
      this.data = data;
      this.offsets = offsets;
      this.lengths = lengths;
      this.binary = binary;
    }

    private int at(String column) {
      int i = relation.index(column);
      return i < 0 || i >= lengths.length || lengths[i] == NULL ? -1 : i;
    }

    private int type(int i) {
      return relation.type(i);
    }

    private String raw(int i) {
      return new String(data, offsets[i], lengths[i], StandardCharsets.UTF_8);
    }

    private IllegalArgumentException unexpected(int i, String wanted) {
      return new IllegalArgumentException(
          "column "
              + relation.columns().get(i)
              + " of "
              + relation.name()
              + " has type oid "
              + type(i)
              + ", expected "
              + wanted);
    }

    /** Whether the column is absent or NULL. */
    public boolean isNull(String column) {
      return at(column) < 0;
    }

    /** A character or JSON column as a string. */
    public String text(String column) {
      int i = at(column);
      if (i < 0) {
        return null;
      }
      if (!binary[i]) {
        return raw(i);
      }
      switch (type(i)) {
        case TEXT, VARCHAR, BPCHAR, NAME, JSON:
          return raw(i);
        case JSONB:
          // jsonb_send: a version byte (1), then the text
          return new String(data, offsets[i] + 1, lengths[i] - 1, StandardCharsets.UTF_8);
        case BOOL:
          return data[offsets[i]] != 0 ? "t" : "f";
        case INT2, INT4, INT8:
          return Long.toString(integer(i));
        default:
          throw unexpected(i, "a character type");
      }
    }

    /** An integer column ({@code smallint}, {@code integer}, {@code bigint}). */
    public Long int8(String column) {
      int i = at(column);
      if (i < 0) {
        return null;
      }
      return binary[i] ? integer(i) : Long.parseLong(raw(i));
    }

    private long integer(int i) {
      int o = offsets[i];
      switch (type(i)) {
        case INT8:
          return ByteBuffer.wrap(data, o, 8).getLong();
        case INT4:
          return ByteBuffer.wrap(data, o, 4).getInt();
        case INT2:
          return ByteBuffer.wrap(data, o, 2).getShort();
        default:
          throw unexpected(i, "an integer type");
      }
    }

    /** A {@code boolean} column. */
    public Boolean bool(String column) {
      int i = at(column);
      if (i < 0) {
        return null;
      }
      if (!binary[i]) {
        return lengths[i] > 0 && data[offsets[i]] == 't';
      }
      if (type(i) != BOOL) {
        throw unexpected(i, "boolean");
      }
      return data[offsets[i]] != 0;
    }

    /** A {@code uuid} column. */
    public UUID uuid(String column) {
      int i = at(column);
      if (i < 0) {
        return null;
      }
      if (!binary[i]) {
        return UUID.fromString(raw(i));
      }
      if (type(i) != UUID_OID) {
        throw unexpected(i, "uuid");
      }
      ByteBuffer b = ByteBuffer.wrap(data, offsets[i], 16);
      return new UUID(b.getLong(), b.getLong());
    }

    /** A {@code timestamptz} (or {@code timestamp}, read as UTC) column. */
    public Instant timestamp(String column) {
      int i = at(column);
      if (i < 0) {
        return null;
      }
      if (!binary[i]) {
        return PgOutput.timestamp(raw(i));
      }
      if (type(i) != TIMESTAMPTZ && type(i) != TIMESTAMP) {
        throw unexpected(i, "timestamptz");
      }
      return time(ByteBuffer.wrap(data, offsets[i], 8).getLong());
    }

    /** A {@code bytea} column. */
    public byte[] bytes(String column) {
      int i = at(column);
      if (i < 0) {
        return null;
      }
      if (!binary[i]) {
        return bytea(raw(i));
      }
      if (type(i) != BYTEA) {
        throw unexpected(i, "bytea");
      }
      byte[] out = new byte[lengths[i]];
      System.arraycopy(data, offsets[i], out, 0, lengths[i]);
      return out;
    }
  }

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
          int[] types = new int[n];
          for (int i = 0; i < n; i++) {
            b.get(); // flags
            cols.add(cstring(b));
            types[i] = b.getInt();
            b.getInt(); // type modifier
          }
          relations.put(oid, new Relation(schema, name, List.copyOf(cols), types));
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

  private static Tuple tuple(ByteBuffer b, Relation r) {
    int n = b.getShort();
    int[] offsets = new int[n];
    int[] lengths = new int[n];
    boolean[] binary = new boolean[n];
    for (int i = 0; i < n; i++) {
      char k = (char) b.get();
      if (k == 't' || k == 'b') {
        int len = b.getInt();
        offsets[i] = b.arrayOffset() + b.position();
        lengths[i] = len;
        binary[i] = k == 'b';
        b.position(b.position() + len);
      } else {
        lengths[i] = Tuple.NULL; // 'n' null, 'u' unchanged TOAST value (not sent for inserts)
      }
    }
    return new Tuple(r, b.array(), offsets, lengths, binary);
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
    return OffsetDateTime.parse(t, TIMESTAMPTZ_TEXT).toInstant();
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

package dev.waybill.outbox;

import dev.waybill.outbox.config.ConfigException;
import dev.waybill.outbox.config.ConfigProblem;
import dev.waybill.outbox.config.Setting;
import dev.waybill.outbox.config.Settings;
import dev.waybill.outbox.jdbc.SqlIdentifier;
import dev.waybill.outbox.schema.TableNames;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of the outbox writer, shared with the relay (which must read the table the writer writes
 * and listen on the channel it notifies). Immutable; build with {@link #builder()} or read from
 * {@link Settings} with {@link #read(Settings.Reader)}.
 *
 * @param tables the table names ({@code outbox.schema}, {@code outbox.table})
 * @param maxMessageBytes the largest message, payload + key + headers ({@code
 *     outbox.message.max.bytes})
 * @param notifyEnabled whether the writer sends a PostgreSQL {@code NOTIFY} in the transaction
 *     ({@code outbox.notify.enabled}); ignored on other databases
 * @param notifyChannel the channel notified ({@code outbox.notify.channel})
 * @param writeMode where the writer puts a message: a table row, or a PostgreSQL logical decoding
 *     message ({@code outbox.write.mode})
 * @param deleteAfterInsert table mode: delete the row in the same transaction right after inserting
 *     it, so the table stays empty; only for the CDC relay ({@code outbox.write.delete})
 * @param messagePrefix the logical decoding message prefix of message mode ({@code
 *     outbox.message.prefix})
 */
public record OutboxConfig(
    TableNames tables,
    int maxMessageBytes,
    boolean notifyEnabled,
    String notifyChannel,
    WriteMode writeMode,
    boolean deleteAfterInsert,
    String messagePrefix) {

  /** Default largest message: 1 MiB, Kafka's default {@code max.request.size}. */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 1_048_576;

  /** Default notification channel. */
  public static final String DEFAULT_NOTIFY_CHANNEL = "waybill_outbox";

  /** {@code outbox.table}. */
  public static final Setting<SqlIdentifier> TABLE =
      Setting.identifier(
          "outbox.table",
          TableNames.DEFAULT_OUTBOX,
          "Outbox table name (letters, digits, underscores; at most 48 characters).");

  /** {@code outbox.schema}. */
  public static final Setting<String> SCHEMA =
      Setting.optionalString(
          "outbox.schema",
          "Schema (PostgreSQL, H2) or database (MySQL) of Waybill's tables; empty for the"
              + " connection's default.");

  /** {@code outbox.message.max.bytes}. */
  public static final Setting<Integer> MAX_MESSAGE_BYTES =
      Setting.integer(
          "outbox.message.max.bytes",
          DEFAULT_MAX_MESSAGE_BYTES,
          1024,
          256 * 1024 * 1024,
          "Largest message accepted by the writer (payload + key + headers, in bytes). Keep it"
              + " at or below the producer's max.request.size and the topic's max.message.bytes.");

  /** {@code outbox.notify.enabled}. */
  public static final Setting<Boolean> NOTIFY_ENABLED =
      Setting.bool(
          "outbox.notify.enabled",
          true,
          "PostgreSQL: send NOTIFY in the writing transaction so a relay wakes at commit.");

  /** {@code outbox.notify.channel}. */
  public static final Setting<SqlIdentifier> NOTIFY_CHANNEL =
      Setting.identifier(
          "outbox.notify.channel",
          DEFAULT_NOTIFY_CHANNEL,
          "PostgreSQL LISTEN/NOTIFY channel shared by writers and relays.");

  /** Default logical decoding message prefix of message mode. */
  public static final String DEFAULT_MESSAGE_PREFIX = "waybill_outbox";

  /** {@code outbox.write.mode}. */
  public static final Setting<WriteMode> WRITE_MODE =
      Setting.ofEnum(
          "outbox.write.mode",
          WriteMode.class,
          WriteMode.TABLE,
          "table: the writer inserts a row into the outbox table (any relay); message: PostgreSQL"
              + " only, it emits a logical decoding message and writes no row (the CDC relay"
              + " only, which reads such messages only when its own outbox.write.mode is message;"
              + " see docs/cdc.md).");

  /** {@code outbox.write.delete}. */
  public static final Setting<Boolean> WRITE_DELETE =
      Setting.bool(
          "outbox.write.delete",
          false,
          "Table mode: delete each row in the same transaction right after inserting it, so the"
              + " table stays empty while the WAL still carries the insert. Only for the CDC relay:"
              + " a polling relay never sees such rows.");

  /** {@code outbox.message.prefix}. */
  public static final Setting<SqlIdentifier> MESSAGE_PREFIX =
      Setting.identifier(
          "outbox.message.prefix",
          DEFAULT_MESSAGE_PREFIX,
          "Message mode: prefix of the logical decoding messages (pg_logical_emit_message), shared"
              + " by writers and the CDC relay.");

  /** Every {@code outbox.*} setting, in documentation order. */
  public static final List<Setting<?>> SETTINGS =
      List.of(
          TABLE,
          SCHEMA,
          MAX_MESSAGE_BYTES,
          NOTIFY_ENABLED,
          NOTIFY_CHANNEL,
          WRITE_MODE,
          WRITE_DELETE,
          MESSAGE_PREFIX);

  /** Where the writer puts a message. */
  public enum WriteMode {
    /** A row in the outbox table (every database, every relay mode). The default. */
    TABLE,
    /**
     * A transactional logical decoding message, {@code pg_logical_emit_message(true, prefix,
     * content)}, in the format of {@link dev.waybill.outbox.wire.LogicalMessageFormat}; no table
     * row. PostgreSQL only, read by the CDC relay only.
     */
    MESSAGE
  }

  /**
   * @param tables the names of the outbox and relay tables
   * @param maxMessageBytes the largest message the writer accepts, payload, key and headers
   *     together; at least 1024
   * @param notifyEnabled whether the PostgreSQL writer sends {@code NOTIFY} with each write
   * @param notifyChannel the {@code NOTIFY} channel, a plain identifier
   * @param writeMode where the writer puts messages
   * @param deleteAfterInsert table mode only: delete each row again in the writing transaction,
   *     leaving it only in the WAL for the CDC relay
   * @param messagePrefix message mode: the prefix of the logical decoding messages, a plain
   *     identifier
   * @throws dev.waybill.outbox.config.ConfigException when a value is outside its setting's range
   *     (the same reason the properties path gives)
   * @throws dev.waybill.outbox.jdbc.InvalidIdentifierException when the channel is not a safe
   *     identifier
   */
  public OutboxConfig {
    Objects.requireNonNull(tables, "tables");
    List<ConfigProblem> problems = new ArrayList<>();
    MAX_MESSAGE_BYTES.problemWith(maxMessageBytes).ifPresent(problems::add);
    WRITE_MODE.problemWith(writeMode).ifPresent(problems::add);
    if (deleteAfterInsert && writeMode != WriteMode.TABLE) {
      problems.add(
          new ConfigProblem(
              WRITE_DELETE.key(),
              "true",
              "needs outbox.write.mode=table (message mode writes no row)"));
    }
    if (!problems.isEmpty()) {
      throw ConfigException.of(problems);
    }
    SqlIdentifier.checkPart(notifyChannel, "outbox.notify.channel");
    SqlIdentifier.checkPart(messagePrefix, "outbox.message.prefix");
  }

  /**
   * The settings of earlier versions: table mode, rows kept, default message prefix.
   *
   * @param tables the names of the outbox and relay tables
   * @param maxMessageBytes the largest message the writer accepts; at least 1024
   * @param notifyEnabled whether the PostgreSQL writer sends {@code NOTIFY} with each write
   * @param notifyChannel the {@code NOTIFY} channel, a plain identifier
   */
  public OutboxConfig(
      TableNames tables, int maxMessageBytes, boolean notifyEnabled, String notifyChannel) {
    this(
        tables,
        maxMessageBytes,
        notifyEnabled,
        notifyChannel,
        WriteMode.TABLE,
        false,
        DEFAULT_MESSAGE_PREFIX);
  }

  /**
   * The defaults: table {@code waybill_outbox}, 1 MiB, NOTIFY on.
   *
   * @return the default configuration
   */
  public static OutboxConfig defaults() {
    return builder().build();
  }

  /**
   * A builder starting from the defaults.
   *
   * @return a new builder; not thread-safe
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Reads the {@code outbox.*} settings; problems are collected in the reader. Returns null when
   * any was invalid.
   *
   * @param reader the settings reader of the process; it collects the problems and reports them at
   *     {@link Settings.Reader#finish()}
   * @return the configuration, or null when a setting was invalid
   */
  public static OutboxConfig read(Settings.Reader reader) {
    SqlIdentifier table = reader.get(TABLE);
    String schema = reader.get(SCHEMA);
    Integer max = reader.get(MAX_MESSAGE_BYTES);
    Boolean notify = reader.get(NOTIFY_ENABLED);
    SqlIdentifier channel = reader.get(NOTIFY_CHANNEL);
    WriteMode writeMode = reader.get(WRITE_MODE);
    Boolean delete = reader.get(WRITE_DELETE);
    SqlIdentifier prefix = reader.get(MESSAGE_PREFIX);
    if (writeMode == WriteMode.MESSAGE && Boolean.TRUE.equals(delete)) {
      reader.problem(
          "'true' → outbox.write.delete → needs outbox.write.mode=table (message mode writes no"
              + " row)");
      return null;
    }
    if (prefix != null && prefix.schema().isPresent()) {
      reader.problem(
          "'" + prefix.sql() + "' → outbox.message.prefix → expected a plain name without a dot");
      return null;
    }
    if (table == null
        || schema == null
        || max == null
        || notify == null
        || channel == null
        || writeMode == null
        || delete == null
        || prefix == null) {
      return null;
    }
    Optional<String> s = table.schema().or(() -> Optional.of(schema).filter(x -> !x.isBlank()));
    try {
      TableNames names = TableNames.defaults().withOutbox(table.name());
      return new OutboxConfig(
          s.isPresent() ? names.withSchema(s.get()) : names,
          max,
          notify,
          channel.name(),
          writeMode,
          delete,
          prefix.name());
    } catch (RuntimeException e) {
      reader.problem("'" + s.orElse("") + "' → outbox.schema → " + e.getMessage());
      return null;
    }
  }

  /** Builds an {@link OutboxConfig}. Not thread-safe. */
  public static final class Builder {
    private TableNames tables = TableNames.defaults();
    private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
    private boolean notifyEnabled = NOTIFY_ENABLED.defaultValue();
    private String notifyChannel = DEFAULT_NOTIFY_CHANNEL;
    private WriteMode writeMode = WRITE_MODE.defaultValue();
    private boolean deleteAfterInsert;
    private String messagePrefix = DEFAULT_MESSAGE_PREFIX;

    private Builder() {}

    /**
     * Table (default) or message mode.
     *
     * @param writeMode {@code TABLE} or {@code MESSAGE}
     * @return this builder
     */
    public Builder writeMode(WriteMode writeMode) {
      this.writeMode = writeMode;
      return this;
    }

    /**
     * Table mode: delete each row in the same transaction (CDC relay only).
     *
     * @param deleteAfterInsert true to keep the table empty (CDC only)
     * @return this builder
     */
    public Builder deleteAfterInsert(boolean deleteAfterInsert) {
      this.deleteAfterInsert = deleteAfterInsert;
      return this;
    }

    /**
     * Message mode: the logical decoding message prefix.
     *
     * @param messagePrefix a plain identifier the CDC relay filters on
     * @return this builder
     */
    public Builder messagePrefix(String messagePrefix) {
      this.messagePrefix = messagePrefix;
      return this;
    }

    /**
     * All table names.
     *
     * @param tables every table name at once, replacing earlier {@link #outboxTable} and {@link
     *     #schema} calls
     * @return this builder
     */
    public Builder tables(TableNames tables) {
      this.tables = Objects.requireNonNull(tables, "tables");
      return this;
    }

    /**
     * Only the outbox table name (validated on {@link #build()}... and here).
     *
     * @param name the outbox table's name, unqualified
     * @return this builder
     */
    public Builder outboxTable(String name) {
      this.tables = tables.withOutbox(name);
      return this;
    }

    /**
     * The schema of all tables.
     *
     * @param schema the schema, or null for the connection's default schema
     * @return this builder
     */
    public Builder schema(String schema) {
      this.tables = tables.withSchema(schema);
      return this;
    }

    /**
     * The largest message in bytes (payload + key + headers).
     *
     * @param maxMessageBytes the limit in bytes, at least 1024
     * @return this builder
     */
    public Builder maxMessageBytes(int maxMessageBytes) {
      this.maxMessageBytes = maxMessageBytes;
      return this;
    }

    /**
     * Whether to NOTIFY on PostgreSQL.
     *
     * @param notifyEnabled false to rely on the relay's polling alone
     * @return this builder
     */
    public Builder notifyEnabled(boolean notifyEnabled) {
      this.notifyEnabled = notifyEnabled;
      return this;
    }

    /**
     * The NOTIFY channel.
     *
     * @param notifyChannel a plain identifier, the same the relay listens on
     * @return this builder
     */
    public Builder notifyChannel(String notifyChannel) {
      this.notifyChannel = notifyChannel;
      return this;
    }

    /**
     * @return the immutable configuration
     * @throws dev.waybill.outbox.config.ConfigException when a value is out of range
     */
    public OutboxConfig build() {
      return new OutboxConfig(
          tables,
          maxMessageBytes,
          notifyEnabled,
          notifyChannel,
          writeMode,
          deleteAfterInsert,
          messagePrefix);
    }
  }
}

package dev.waybill.outbox.schema;

import dev.waybill.outbox.jdbc.InvalidIdentifierException;
import dev.waybill.outbox.jdbc.SqlIdentifier;
import java.util.Objects;
import java.util.Optional;

/**
 * The names of Waybill's tables, all in one optional schema. Every name is validated as a {@link
 * SqlIdentifier} and kept short enough ({@value #MAX_TABLE_NAME_LENGTH} characters) for the index
 * names derived from it. Immutable.
 *
 * @param schema the schema (PostgreSQL, H2) or database (MySQL) holding the tables; empty for the
 *     connection's default
 * @param outbox the outbox table (default {@value #DEFAULT_OUTBOX})
 * @param deadLetters the relay's dead-letter table (default {@value #DEFAULT_DEAD_LETTERS})
 * @param leases the relay's shard lease table (default {@value #DEFAULT_LEASES})
 * @param relays the table where running relays announce themselves (default {@value
 *     #DEFAULT_RELAYS})
 * @param inbox the consumer's inbox table (default {@value #DEFAULT_INBOX})
 * @param history the table recording applied schema versions (default {@value #DEFAULT_HISTORY})
 */
public record TableNames(
    Optional<String> schema,
    String outbox,
    String deadLetters,
    String leases,
    String relays,
    String inbox,
    String history) {

  /** Default outbox table. */
  public static final String DEFAULT_OUTBOX = "waybill_outbox";

  /** Default relay dead-letter table. */
  public static final String DEFAULT_DEAD_LETTERS = "waybill_outbox_dead_letter";

  /** Default relay lease table. */
  public static final String DEFAULT_LEASES = "waybill_relay_lease";

  /** Default relay membership table. */
  public static final String DEFAULT_RELAYS = "waybill_relay_instance";

  /** Default inbox table. */
  public static final String DEFAULT_INBOX = "waybill_inbox";

  /** Default schema history table. */
  public static final String DEFAULT_HISTORY = "waybill_schema_history";

  /** Longest table name: leaves room for the suffixes of derived index names. */
  public static final int MAX_TABLE_NAME_LENGTH = 48;

  /**
   * @param schema the schema of every table, or empty for the connection's default schema
   * @param outbox the outbox table
   * @param deadLetters the relay's dead-letter table
   * @param leases the relay's shard lease table
   * @param relays the relay membership table
   * @param inbox the consumer's inbox table
   * @param history the schema history table
   * @throws InvalidIdentifierException naming the table and the rule it breaks
   */
  public TableNames {
    Objects.requireNonNull(schema, "schema");
    schema.ifPresent(s -> SqlIdentifier.checkPart(s, "schema"));
    check(outbox, "outbox table");
    check(deadLetters, "dead-letter table");
    check(leases, "lease table");
    check(relays, "relay instance table");
    check(inbox, "inbox table");
    check(history, "schema history table");
  }

  /**
   * The default names, in the connection's default schema.
   *
   * @return the default names, unqualified
   */
  public static TableNames defaults() {
    return new TableNames(
        Optional.empty(),
        DEFAULT_OUTBOX,
        DEFAULT_DEAD_LETTERS,
        DEFAULT_LEASES,
        DEFAULT_RELAYS,
        DEFAULT_INBOX,
        DEFAULT_HISTORY);
  }

  /**
   * These names in another schema.
   *
   * @param newSchema the schema, or null for the connection's default schema
   * @return a copy with that schema
   */
  public TableNames withSchema(String newSchema) {
    return new TableNames(
        Optional.ofNullable(newSchema), outbox, deadLetters, leases, relays, inbox, history);
  }

  /**
   * These names with another outbox table.
   *
   * @param newOutbox the outbox table's unqualified name
   * @return a copy with that name
   */
  public TableNames withOutbox(String newOutbox) {
    return new TableNames(schema, newOutbox, deadLetters, leases, relays, inbox, history);
  }

  /**
   * These names with another inbox table.
   *
   * @param newInbox the inbox table's unqualified name
   * @return a copy with that name
   */
  public TableNames withInbox(String newInbox) {
    return new TableNames(schema, outbox, deadLetters, leases, relays, newInbox, history);
  }

  /**
   * These names with another schema history table.
   *
   * @param newHistory the history table's unqualified name
   * @return a copy with that name
   */
  public TableNames withHistory(String newHistory) {
    return new TableNames(schema, outbox, deadLetters, leases, relays, inbox, newHistory);
  }

  /**
   * The qualified outbox table.
   *
   * @return the identifier to splice into SQL, with the schema when one is set
   */
  public SqlIdentifier outboxTable() {
    return new SqlIdentifier(schema, outbox);
  }

  /**
   * The qualified dead-letter table.
   *
   * @return the identifier to splice into SQL, with the schema when one is set
   */
  public SqlIdentifier deadLetterTable() {
    return new SqlIdentifier(schema, deadLetters);
  }

  /**
   * The qualified lease table.
   *
   * @return the identifier to splice into SQL, with the schema when one is set
   */
  public SqlIdentifier leaseTable() {
    return new SqlIdentifier(schema, leases);
  }

  /**
   * The qualified relay membership table.
   *
   * @return the identifier to splice into SQL, with the schema when one is set
   */
  public SqlIdentifier relayTable() {
    return new SqlIdentifier(schema, relays);
  }

  /**
   * The qualified inbox table.
   *
   * @return the identifier to splice into SQL, with the schema when one is set
   */
  public SqlIdentifier inboxTable() {
    return new SqlIdentifier(schema, inbox);
  }

  /**
   * The qualified schema history table.
   *
   * @return the identifier to splice into SQL, with the schema when one is set
   */
  public SqlIdentifier historyTable() {
    return new SqlIdentifier(schema, history);
  }

  private static void check(String name, String what) {
    SqlIdentifier.checkPart(name, what);
    if (name.length() > MAX_TABLE_NAME_LENGTH) {
      throw new InvalidIdentifierException(
          what
              + " '"
              + name
              + "' is longer than "
              + MAX_TABLE_NAME_LENGTH
              + " characters (index names are derived from it)");
    }
  }
}

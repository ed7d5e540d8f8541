package dev.waybill.outbox.schema;

import dev.waybill.outbox.jdbc.SqlIdentifier;
import java.util.List;

/**
 * What Waybill's code needs of one table: its columns and indexes, and the migration whose script
 * creates it. The shipped scripts create exactly this (and a little more: checks, defaults that no
 * code relies on). Not API.
 *
 * @param table the qualified table
 * @param createdBy the migration whose script creates the table
 * @param columns the columns the code reads or writes
 * @param indexes the indexes the code's queries or uniqueness rely on
 */
record TableSpec(
    SqlIdentifier table, Migration createdBy, List<Column> columns, List<Index> indexes) {

  TableSpec {
    columns = List.copyOf(columns);
    indexes = List.copyOf(indexes);
  }

  /** A column's type family: any type of the family with enough room is compatible. */
  enum Type {
    /** 16-bit or wider integer. */
    SMALLINT,
    /** 32-bit or wider integer. */
    INTEGER,
    /** 64-bit integer. */
    BIGINT,
    /** Character data; the spec's length is the least room needed. */
    TEXT,
    /** Binary data of any length. */
    BYTES,
    /** A point in time (with or without time zone). */
    TIMESTAMP,
    /** A UUID: {@code uuid} where the database has it, else text of 36 characters or more. */
    UUID,
    /** A boolean (MySQL: {@code TINYINT(1)}). */
    BOOLEAN
  }

  /** How the database fills a column when an insert leaves it out. */
  enum Fill {
    /** The code or the writer always sets it. */
    NONE,
    /** A default value (plain-SQL writers leave the column out). */
    DEFAULT,
    /** An identity or auto-increment column: the write order the relay follows. */
    IDENTITY,
    /** A stored column computed from others. */
    GENERATED
  }

  /**
   * A needed column.
   *
   * @param name the column name, lower case
   * @param type its type family
   * @param length for {@link Type#TEXT}: the least length, 0 for any
   * @param nullable whether the code writes or reads nulls (true) or relies on NOT NULL (false)
   * @param fill what the database must fill in
   */
  record Column(String name, Type type, int length, boolean nullable, Fill fill) {
    static Column notNull(String name, Type type) {
      return new Column(name, type, 0, false, Fill.NONE);
    }

    static Column nullable(String name, Type type) {
      return new Column(name, type, 0, true, Fill.NONE);
    }

    static Column text(String name, int length, boolean nullable) {
      return new Column(name, Type.TEXT, length, nullable, Fill.NONE);
    }

    Column filled(Fill how) {
      return new Column(name, type, length, nullable, how);
    }

    /** How the column is declared in the shipped scripts, in words. */
    String describe() {
      String t =
          switch (type) {
            case TEXT -> length > 0 ? "VARCHAR(" + length + ") or longer text" : "text";
            case BYTES -> "binary (BYTEA, LONGBLOB, VARBINARY)";
            case TIMESTAMP -> "timestamp";
            case UUID -> "UUID (CHAR(36) on MySQL)";
            default -> type.name();
          };
      String f =
          switch (fill) {
            case NONE -> "";
            case DEFAULT -> " with a default";
            case IDENTITY -> " GENERATED AS IDENTITY / AUTO_INCREMENT";
            case GENERATED -> " generated (stored)";
          };
      return t + (nullable ? " NULL" : " NOT NULL") + f;
    }
  }

  /**
   * A needed index.
   *
   * @param columns its columns in order (a unique index must have exactly these; any other index
   *     must start with them)
   * @param unique whether uniqueness is relied on (a primary key counts)
   */
  record Index(List<String> columns, boolean unique) {
    Index {
      columns = List.copyOf(columns);
    }

    static Index on(String... columns) {
      return new Index(List.of(columns), false);
    }

    static Index uniqueOn(String... columns) {
      return new Index(List.of(columns), true);
    }

    String describe() {
      return (unique ? "a primary key or unique index on (" : "an index on (")
          + String.join(", ", columns)
          + ")";
    }
  }
}

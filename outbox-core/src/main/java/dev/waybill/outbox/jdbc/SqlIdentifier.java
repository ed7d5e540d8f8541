package dev.waybill.outbox.jdbc;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A validated SQL identifier, optionally schema-qualified ({@code schema.name}). The only way a
 * name reaches Waybill's SQL text: each part matches {@code [A-Za-z_][A-Za-z0-9_]*}, is at most
 * {@value #MAX_LENGTH} characters and is not a reserved SQL word, so it needs no quoting on any
 * supported database and cannot inject SQL.
 *
 * @param schema the schema (PostgreSQL, H2) or database (MySQL) part, if any
 * @param name the object name
 */
public record SqlIdentifier(Optional<String> schema, String name) {

  /** Longest identifier part (PostgreSQL's limit; MySQL allows 64). */
  public static final int MAX_LENGTH = 63;

  private static final Pattern PART = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  // words that are reserved in at least one supported database and would need quoting
  private static final Set<String> RESERVED =
      Set.of(
          "all",
          "alter",
          "and",
          "any",
          "as",
          "asc",
          "between",
          "by",
          "case",
          "check",
          "column",
          "constraint",
          "create",
          "cross",
          "current_date",
          "current_time",
          "current_timestamp",
          "current_user",
          "default",
          "delete",
          "desc",
          "distinct",
          "drop",
          "else",
          "end",
          "except",
          "exists",
          "false",
          "fetch",
          "for",
          "foreign",
          "from",
          "full",
          "grant",
          "group",
          "having",
          "in",
          "index",
          "inner",
          "insert",
          "intersect",
          "into",
          "is",
          "join",
          "key",
          "left",
          "like",
          "limit",
          "natural",
          "not",
          "null",
          "offset",
          "on",
          "or",
          "order",
          "outer",
          "primary",
          "references",
          "right",
          "row",
          "rows",
          "select",
          "set",
          "table",
          "then",
          "to",
          "true",
          "union",
          "unique",
          "update",
          "user",
          "using",
          "values",
          "when",
          "where",
          "with");

  /**
   * @param schema the schema, or empty for an unqualified name
   * @param name the bare name
   * @throws InvalidIdentifierException when a part breaks the rule
   */
  public SqlIdentifier {
    Objects.requireNonNull(schema, "schema");
    schema.ifPresent(s -> checkPart(s, "schema"));
    checkPart(name, "name");
  }

  /**
   * Parses {@code name} or {@code schema.name}.
   *
   * @param what what the identifier is for, used in the error, e.g. {@code outbox.table}
   * @param text the identifier as written in a setting or argument
   * @return the validated identifier
   * @throws InvalidIdentifierException naming {@code what}, the value and the rule
   */
  public static SqlIdentifier parse(String what, String text) {
    if (text == null || text.isBlank()) {
      throw new InvalidIdentifierException(
          what + " is empty: give a table name such as waybill_outbox");
    }
    int dot = text.indexOf('.');
    try {
      return dot < 0
          ? new SqlIdentifier(Optional.empty(), text)
          : new SqlIdentifier(Optional.of(text.substring(0, dot)), text.substring(dot + 1));
    } catch (InvalidIdentifierException e) {
      throw new InvalidIdentifierException(
          what + " '" + text + "' is not a safe SQL identifier: " + e.getMessage());
    }
  }

  /**
   * An unqualified name.
   *
   * @param name a bare name; validated
   * @return the identifier
   */
  public static SqlIdentifier of(String name) {
    return new SqlIdentifier(Optional.empty(), name);
  }

  /**
   * The same name in {@code schema} (or unqualified when empty).
   *
   * @param newSchema the schema, or empty
   * @return a copy in that schema
   */
  public SqlIdentifier inSchema(Optional<String> newSchema) {
    return new SqlIdentifier(newSchema, name);
  }

  /**
   * The text spliced into SQL: {@code schema.name} or {@code name}.
   *
   * @return SQL text, safe to splice because every part was validated
   */
  public String sql() {
    return schema.map(s -> s + "." + name).orElse(name);
  }

  /**
   * Checks one bare identifier part.
   *
   * @param part the bare identifier to check
   * @param what what the identifier is for, used in the error
   * @throws InvalidIdentifierException naming the value and the rule
   */
  public static void checkPart(String part, String what) {
    if (part == null || !PART.matcher(part).matches()) {
      throw new InvalidIdentifierException(
          what
              + " '"
              + part
              + "' must start with a letter or underscore and contain only letters, digits and"
              + " underscores");
    }
    if (part.length() > MAX_LENGTH) {
      throw new InvalidIdentifierException(
          what + " '" + part + "' is longer than " + MAX_LENGTH + " characters");
    }
    if (RESERVED.contains(part.toLowerCase(Locale.ROOT))) {
      throw new InvalidIdentifierException(
          what + " '" + part + "' is a reserved SQL word: choose another name");
    }
  }

  @Override
  public String toString() {
    return sql();
  }
}
